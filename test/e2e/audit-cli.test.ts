import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { auditRecords } from '../support/audit-trail.js';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { storeEnv } from '../support/test-store.js';

/**
 * `vesta audit` against a running server's data (issue 13, items 3 and 5): export writes one AuditEvent per NDJSON
 * line for a SIEM, checkpoint signs the head, verify exits 0 on an intact trail and 1 naming the first broken link.
 */

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'vesta.js');
let srv: TestServer;

/** Rewrites the outcome of the failed read's record in place, as an intruder with database access could. */
async function tamper(): Promise<void> {
  if (srv.store instanceof SqliteStore) {
    const db = new Database(path.join(srv.dataDir, 'vesta.sqlite'));
    try {
      db.prepare("UPDATE audit_log SET record = replace(record, '\"outcome\":\"4\"', '\"outcome\":\"0\"') WHERE outcome = '4'").run();
    } finally {
      db.close();
    }
    return;
  }
  const log = srv.store.db.collection<{ _id: number; text: string; outcome: string }>('vesta_audit');
  const failed = await log.findOne({ outcome: { $eq: '4' } });
  assert.ok(failed, 'the failed read has an audit record');
  await log.updateOne({ _id: { $eq: failed._id } }, { $set: { text: failed.text.replace('"outcome":"4"', '"outcome":"0"') } });
}

async function vesta(...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = { PATH: process.env.PATH ?? '', ...(await storeEnv(srv.store, srv.dataDir)), VESTA_BASE_URL: srv.base, VESTA_AUTH: 'off', HOST: '127.0.0.1', LOG_LEVEL: 'error' };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '' };
  }
}

before(async () => {
  srv = await startTestServer();
  const id = (await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', gender: 'other' } })).body.id;
  await fhir('GET', `${srv.base}/Patient/${id}`);
  await fhir('GET', `${srv.base}/Patient?gender=other`);
  await fhir('GET', `${srv.base}/Observation/missing`);
});
after(async () => {
  await srv.close();
});

test('export writes every record as an AuditEvent, one per line', async () => {
  const { code, stdout } = await vesta('audit', 'export', '--from', new Date(Date.now() - 3_600_000).toISOString().slice(0, 10));
  assert.equal(code, 0);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string; id: string; subtype: { code: string }[] });
  const stored = await auditRecords(srv.store);
  assert.equal(lines.length, stored.length);
  assert.ok(lines.every((e) => e.resourceType === 'AuditEvent'));
  assert.deepEqual(lines.map((e) => e.id), stored.map((r) => String(r.seq)));
  assert.ok(lines.some((e) => e.subtype[0]!.code === 'search-type'));
});

test('checkpoint signs the head; verify is intact (exit 0), then finds a modified record (exit 1)', async () => {
  const cp = await vesta('audit', 'checkpoint', '--json');
  assert.equal(cp.code, 0);
  assert.ok((JSON.parse(cp.stdout) as { seq: number }).seq >= 4);
  const ok = await vesta('audit', 'verify', '--json');
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal((JSON.parse(ok.stdout) as { intact: boolean; checkpoints: number }).intact, true);
  await tamper();
  const broken = await vesta('audit', 'verify');
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /BROKEN at record \d+/);
});
