import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { rewriteReferences } from '../../src/fhir/references.js';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { SYNTHEA_DIR } from '../support/shared-data.js';
import { TX_SKIP } from '../support/test-store.js';

const DIR = SYNTHEA_DIR;
const present = fs.existsSync(DIR);

type Json = Record<string, unknown>;
interface SentEntry { fullUrl: string; resource: Json }
/** A sent entry with the local reference of every fullUrl of its own Bundle (Synthea reuses fullUrls across Bundles). */
interface Sent { entry: SentEntry; local: Map<string, string> }

let srv: TestServer | undefined;
before(async () => {
  if (present) srv = await startTestServer();
});
after(async () => {
  await srv?.close();
});

/** Drops what the server owns (id, meta) so a stored resource compares with what was sent. */
function comparable(resource: Json): Json {
  const { id: _id, meta: _meta, ...rest } = resource;
  return rest;
}

test('ingests the 54 Synthea patient Bundles as transactions with counts, references and content intact', { skip: TX_SKIP }, async (t) => {
  if (!present || !srv) {
    t.skip(`${DIR} is absent; the Synthea ingest test needs the shared data set`);
    return;
  }
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.equal(files.length, 54);
  const expectedCounts = new Map<string, number>();
  const sent: Sent[] = [];
  for (const file of files) {
    const local = new Map<string, string>();
    const text = fs.readFileSync(path.join(DIR, file), 'utf8');
    const bundle = JSON.parse(text) as { entry: SentEntry[] };
    const res = await fhir('POST', srv.base, { body: text, headers: { Prefer: 'return=minimal' } });
    assert.equal(res.status, 200, `${file}: ${res.text.slice(0, 500)}`);
    assert.equal(res.body.entry.length, bundle.entry.length);
    bundle.entry.forEach((e, i) => {
      const r = res.body.entry[i].response;
      assert.equal(r.status, '201 Created');
      const m = /\/([A-Za-z]+)\/([^/]+)\/_history\/1$/.exec(r.location as string);
      assert.ok(m, r.location);
      assert.equal(m[1], e.resource.resourceType);
      local.set(e.fullUrl, `${m[1]}/${m[2]}`);
      sent.push({ entry: e, local });
      expectedCounts.set(m[1], (expectedCounts.get(m[1]) ?? 0) + 1);
    });
  }
  assert.equal(sent.length, 17622);

  for (const [type, expected] of expectedCounts) {
    const res = await fhir('GET', `${srv.base}/${type}?_summary=count`);
    assert.equal(res.body.total, expected, `count of ${type}`);
  }

  let references = 0;
  for (const { entry: e, local } of sent) {
    const [type, id] = local.get(e.fullUrl)!.split('/');
    const stored = await srv.store.read(type, id);
    assert.ok(stored && !stored.deleted, `${type}/${id} is stored`);
    const resource = JSON.parse(stored.json) as Json;
    const contained = new Set(((resource.contained ?? []) as Json[]).map((c) => `#${String(c.id)}`));
    const targets: string[] = [];
    rewriteReferences(resource, (ref) => void targets.push(ref));
    for (const ref of targets) {
      references++;
      if (ref.startsWith('#')) {
        assert.ok(contained.has(ref), `${type}/${id} refers to a contained resource it holds`);
        continue;
      }
      const [rt, rid] = ref.split('/');
      const target = await srv.store.read(rt, rid);
      assert.ok(target && !target.deleted, `${type}/${id} refers to a stored resource`);
    }
    const expected = structuredClone(e.resource);
    rewriteReferences(expected, (ref) => local.get(ref));
    assert.deepEqual(comparable(resource), comparable(expected), `${type}/${id} reads back as sent`);
  }
  assert.ok(references > 60000, `checked ${references} references`);
});
