import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Database from 'better-sqlite3';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';
import { captureLog } from '../support/log-capture.js';
import { SQLITE_ONLY } from '../support/test-store.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';

/** The store's write connection (private): the test caps its size, as a full disk would. */
const writerOf = (srv: TestServer) => (srv.store as unknown as { writer: { db: Database.Database } }).writer.db;

describe('a full disk is an explained condition', { skip: SQLITE_ONLY }, () => {
  let srv: TestServer;
  const captured = captureLog('error');
  before(async () => {
    srv = await startTestServer({ log: captured.log });
  });
  after(async () => {
    writerOf(srv).pragma('max_page_count = 1073741823');
    await srv.close();
  });

  test('a write that does not fit answers 507 saying storage is full, readyz turns not ready, the log has one line without a stack', async () => {
    const db = writerOf(srv);
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages}`);
    const div = `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(200_000)}</div>`;
    const res = await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', text: { status: 'generated', div } } });
    assertOutcome(res, { status: 507, code: 'exception', diagnostics: 'storage is full' });
    const ready = await fetch(`${srv.root}/readyz`);
    assert.equal(ready.status, 503);
    const lines = captured.records().filter((r) => String(r.message).startsWith('storage full'));
    assert.ok(lines.length >= 1, JSON.stringify(captured.records()));
    assert.ok(!JSON.stringify(lines).includes('stack'));
    assert.ok(!captured.records().some((r) => r.message === 'unhandled error'), JSON.stringify(captured.records()));
    // Space again: the next write succeeds (readyz recovers 30 s after the last failure).
    db.pragma('max_page_count = 1073741823');
    const ok = await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient' } });
    assert.equal(ok.status, 201);
  });
});

describe('a SIGTERM on a full disk', () => {
  let dataDir: string;
  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-full-sigterm-'));
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('exits 0 after closing what it can, with clear error lines and no stack', async () => {
    // VESTA_SQLITE_MAX_MB caps the database file as a full volume would: writes past it fail with SQLITE_FULL.
    const srv = await startServerProcess(dataDir, { VESTA_SQLITE_MAX_MB: '1' });
    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      const post = async (chars: number): Promise<number> => {
        const div = `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(chars)}</div>`;
        const res = await fetch(`${srv.base}/Patient`, {
          method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div } }),
        });
        await res.arrayBuffer();
        return res.status;
      };
      // Fill it to the last page: big writes first, then smaller ones, until even an audit record does not fit.
      const statuses = new Set<number>();
      for (const chars of [20_000, 2_000, 100, 0]) {
        for (let i = 0; i < 500; i++) {
          const status = await post(chars);
          statuses.add(status);
          if (status !== 201) break;
        }
      }
      assert.ok(statuses.has(507), `statuses seen: ${[...statuses].join(', ')}`);
      assert.equal((await fetch(`${srv.root}/readyz`)).status, 503);
    } finally {
      exit = await stopServerProcess(srv);
    }
    assert.deepEqual(exit, { code: 0, signal: null }, srv.output());
    const lines = srv.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.level === 'error' && String(l.message).startsWith('storage full')), srv.output());
    assert.ok(!lines.some((l) => String(l.message) === 'store close failed'), srv.output());
    assert.ok(!srv.output().includes('    at '), 'no stack trace in the log');
  });
});
