import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Database from 'better-sqlite3';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';
import { captureLog } from '../support/log-capture.js';
import { SQLITE_ONLY } from '../support/test-store.js';

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
