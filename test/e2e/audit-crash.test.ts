import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { auditRecords } from '../support/audit-trail.js';
import { fhir } from '../support/test-app.js';
import { startServerProcess } from '../support/server-process.js';
import type { ServerProcess } from '../support/server-process.js';

/**
 * Durable before data leaves (issue 13, item 2), under kill -9: clients read, search and write concurrently while the
 * server is killed at a random moment, ten times over on the same data. Afterwards every request that got a 2xx has
 * its AuditEvent, and the whole trail (across the ten lives of the server) verifies with `vesta audit verify`.
 */

const TRIALS = 10;
const CLIENTS = 6;
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'vesta.js');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

/** Reads, searches and creates until the server stops answering; returns the request ids that got a 2xx. */
async function client(server: ServerProcess, trial: number, n: number, ids: string[], acked: string[]): Promise<string[]> {
  const random = rng(trial * 101 + n);
  for (let i = 0; ; i++) {
    const requestId = `crash-${trial}-${n}-${i}`;
    const headers = { 'X-Request-Id': requestId };
    const roll = random();
    let res;
    try {
      if (roll < 0.4 && ids.length > 0) res = await fhir('GET', `${server.base}/Patient/${ids[Math.floor(random() * ids.length)]}`, { headers });
      else if (roll < 0.7) res = await fhir('GET', `${server.base}/Patient?gender=female&_count=5`, { headers });
      else res = await fhir('POST', `${server.base}/Patient`, { headers, body: { resourceType: 'Patient', gender: 'female', name: [{ family: `Crash${trial}` }] } });
    } catch {
      return acked; // the server is gone
    }
    assert.ok(res.status < 300, `${requestId} answered ${res.status}: ${res.text.slice(0, 200)}`);
    acked.push(requestId);
    if (res.status === 201) ids.push(String(res.body.id));
  }
}

test(`every 2xx keeps its AuditEvent across ${TRIALS} kill -9s, and the chain verifies`, { timeout: 600_000 }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-audit-crash-'));
  const env = { VESTA_SQLITE_SYNC: 'NORMAL' };
  const acked: string[] = [];
  const ids: string[] = [];
  const random = rng(7);
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      const server = await startServerProcess(dataDir, env);
      const answered: string[][] = Array.from({ length: CLIENTS }, () => []);
      const running = Array.from({ length: CLIENTS }, (_, n) => client(server, trial, n, ids, answered[n]!));
      // Kill at a random moment once the clients are under way (counted in answers, not time, so a busy machine
      // still kills mid-stream): after 20 to 120 answers.
      const at = 20 + Math.floor(random() * 100);
      const deadline = Date.now() + 60_000;
      while (answered.reduce((n, l) => n + l.length, 0) < at && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      server.child.kill('SIGKILL');
      assert.equal((await server.exited).signal, 'SIGKILL');
      for (const list of await Promise.all(running)) acked.push(...list);
    }
    assert.ok(acked.length >= TRIALS * 20, `only ${acked.length} requests were answered before the kills; the test would prove little`);

    const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL', readWorkers: 0 });
    let recorded: Set<string>;
    let total = 0;
    try {
      const records = await auditRecords(store);
      total = records.length;
      recorded = new Set(records.filter((r) => r.record.outcome === '0').map((r) => r.record.requestId ?? ''));
    } finally {
      await store.close();
    }
    const missing = acked.filter((id) => !recorded.has(id));
    assert.deepEqual(missing, [], `${missing.length} answered requests have no AuditEvent`);

    const verify = await promisify(execFile)(process.execPath, [CLI, 'audit', 'verify', '--json'], {
      env: { PATH: process.env.PATH ?? '', VESTA_DATA_DIR: dataDir, VESTA_AUTH: 'off', HOST: '127.0.0.1' }, timeout: 60_000,
    });
    const report = JSON.parse(verify.stdout) as { intact: boolean; checked: number };
    assert.equal(report.intact, true, verify.stdout);
    assert.equal(report.checked, total);
    t.diagnostic(`${TRIALS} kills: ${acked.length} answered requests, all with their AuditEvent; ${total} records, chain intact`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
