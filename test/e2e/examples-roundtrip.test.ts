import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { numberTexts } from '../../src/fhir/exact-json.js';
import { R4_RESOURCE_TYPES } from '../../src/validation/resource-types.js';
import { fhir } from '../support/test-app.js';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';

const require = createRequire(import.meta.url);
const EXAMPLES_DIR = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
const REJECTED_FILE = new URL('../../../test/fixtures/examples-rejected.json', import.meta.url);

/** One official example the server is expected to refuse, with the spec rule the example breaks. */
interface KnownRejection {
  file: string;
  status: number;
  /** Why the official example is invalid per the R4 specification (not why the server says no). */
  reason: string;
  /** Text the server's OperationOutcome must contain, so the refusal is for the stated reason. */
  outcomeIncludes: string;
}

/** An example file that holds an R4 resource with an id, so it can be written with PUT /{type}/{id}. */
interface ExampleFile {
  file: string;
  type: string;
  id: string;
}

/** Concurrent requests in flight; enough to overlap validation and I/O without starving the in-process server. */
const CONCURRENCY = 8;
/** Two official examples (the all-resources and all-data-elements Bundles) are 21 and 35 MB, above the 16 MB default. */
const MAX_BODY = '64mb';

function listExamples(): { examples: ExampleFile[]; ignored: string[] } {
  const types = new Set<string>(R4_RESOURCE_TYPES);
  const examples: ExampleFile[] = [];
  const ignored: string[] = [];
  for (const file of readdirSync(EXAMPLES_DIR).sort()) {
    if (!file.endsWith('.json')) continue;
    const json = JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as { resourceType?: unknown; id?: unknown };
    if (typeof json.resourceType === 'string' && types.has(json.resourceType) && typeof json.id === 'string') {
      examples.push({ file, type: json.resourceType, id: json.id });
    } else {
      ignored.push(file);
    }
  }
  return { examples, ignored };
}

/** The resource without the server-owned meta fields; meta disappears when nothing else was in it. */
function withoutServerMeta(resource: Record<string, unknown>): Record<string, unknown> {
  const { meta, ...rest } = resource;
  if (meta === undefined) return rest;
  const { versionId: _v, lastUpdated: _l, ...clientMeta } = meta as Record<string, unknown>;
  return Object.keys(clientMeta).length === 0 ? rest : { ...rest, meta: clientMeta };
}

/** The JSON path of the first difference between two values, for a readable failure. */
function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return `${at || '/'}: expected ${JSON.stringify(a)?.slice(0, 80)}, got ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`);
    if (d) return d;
  }
  return undefined;
}

/** Runs `work` over `items` with at most `limit` running at once. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

test('every official R4 example round-trips through PUT and read, except the listed invalid ones', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const { examples, ignored } = listExamples();
  // Only the package manifest lacks a resourceType; anything else ignored would be a silent skip.
  assert.deepEqual(ignored, ['package.json']);
  assert.ok(examples.length > 5000, `only ${examples.length} examples found in ${EXAMPLES_DIR}`);

  const known = JSON.parse(readFileSync(REJECTED_FILE, 'utf8')) as KnownRejection[];
  const knownByFile = new Map(known.map((k) => [k.file, k]));
  const files = new Set(examples.map((e) => e.file));
  for (const k of known) {
    assert.ok(files.has(k.file), `examples-rejected.json lists ${k.file}, which is not an example in the package`);
    assert.ok(k.reason.length > 20, `examples-rejected.json must say why ${k.file} is invalid`);
  }

  // Examples that share type and id (the package ships ImplementationGuide/fhir twice) are written in file
  // order by one worker, so each read-back is compared with the write just made.
  const groups = new Map<string, ExampleFile[]>();
  for (const e of examples) {
    const key = `${e.type}/${e.id}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }

  // The server runs as its own process (as in production), so its work and this test's parsing and
  // comparing use both cores; durability is crash-durability.test.ts's subject, so NORMAL sync is enough here.
  const dataDir = mkdtempSync(join(tmpdir(), 'vesta-examples-'));
  const server = await startServerProcess(dataDir, { VESTA_MAX_BODY: MAX_BODY, VESTA_SQLITE_SYNC: 'NORMAL' });
  const roundTripped: string[] = [];
  /** Examples whose meta carried more than versionId/lastUpdated (tags, profiles, security labels, source). */
  let clientMetaKept = 0;
  const rejectedAsExpected: string[] = [];
  const problems: string[] = [];
  try {
    await inParallel([...groups.values()], CONCURRENCY, async (group) => {
      // Every member of a group has the same type and id, so successful writes count its versions.
      let versions = 0;
      for (const ex of group) {
        const text = readFileSync(join(EXAMPLES_DIR, ex.file), 'utf8');
        const original = JSON.parse(text) as Record<string, unknown>;
        const url = `${server.base}/${ex.type}/${encodeURIComponent(ex.id)}`;
        const put = await fhir('PUT', url, { body: text });
        const expectedRejection = knownByFile.get(ex.file);
        if (expectedRejection) {
          if (put.status < 400) {
            problems.push(`${ex.file}: listed as rejected (${expectedRejection.reason}) but the server accepted it with ${put.status}`);
          } else if (put.status !== expectedRejection.status || !put.text.includes(expectedRejection.outcomeIncludes)) {
            problems.push(`${ex.file}: rejected with ${put.status} for another reason than listed: ${put.text.slice(0, 300)}`);
          } else {
            rejectedAsExpected.push(ex.file);
          }
          continue;
        }
        const expectedStatus = versions > 0 ? 200 : 201;
        if (put.status !== expectedStatus) {
          problems.push(`${ex.file}: PUT gave ${put.status} (expected ${expectedStatus}): ${put.text.slice(0, 400)}`);
          continue;
        }
        versions++;
        const got = await fhir('GET', url, { headers: { Accept: 'application/fhir+json' } });
        if (got.status !== 200 || typeof got.body !== 'object') {
          problems.push(`${ex.file}: read after PUT gave ${got.status}: ${got.text.slice(0, 200)}`);
          continue;
        }
        const meta = got.body.meta as { versionId?: unknown; lastUpdated?: unknown } | undefined;
        if (meta?.versionId !== String(versions)) {
          problems.push(`${ex.file}: expected meta.versionId ${versions}, got ${JSON.stringify(meta?.versionId)}`);
          continue;
        }
        if (typeof meta?.lastUpdated !== 'string' || Number.isNaN(Date.parse(meta.lastUpdated))) {
          problems.push(`${ex.file}: meta.lastUpdated missing or invalid: ${JSON.stringify(meta?.lastUpdated)}`);
          continue;
        }
        const difference = firstDifference(withoutServerMeta(original), withoutServerMeta(got.body as Record<string, unknown>));
        if (difference) {
          problems.push(`${ex.file}: read-back differs at ${difference}`);
          continue;
        }
        // Decimals keep their precision as sent (datatypes.html#decimal): the same number texts come back.
        const sent = numberTexts(text).sort().join(' ');
        const back = numberTexts(got.text).sort().join(' ');
        if (sent !== back) {
          problems.push(`${ex.file}: numbers changed: sent ${sent.slice(0, 120)}, read ${back.slice(0, 120)}`);
          continue;
        }
        roundTripped.push(ex.file);
        if (withoutServerMeta(original).meta !== undefined) clientMetaKept++;
      }
    });
  } finally {
    const exit = await stopServerProcess(server);
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(exit.code, 0, `the server did not stop cleanly:\n${server.output().slice(-2000)}`);
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = `${roundTripped.length} of ${examples.length} official R4 examples round-tripped; ` +
    `${clientMetaKept} of them with their own meta (tags, profiles, security) kept intact; ` +
    `${rejectedAsExpected.length} rejected as listed in examples-rejected.json; ${problems.length} problems; ${seconds} s`;
  t.diagnostic(summary);
  console.log(summary);
  assert.deepEqual(problems, [], `${problems.length} examples did not behave as expected:\n${problems.slice(0, 50).join('\n')}`);
  assert.equal(roundTripped.length + rejectedAsExpected.length, examples.length);
  assert.equal(rejectedAsExpected.length, known.length);
});
