import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { auditRecords } from '../support/audit-trail.js';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { SQLITE_ONLY } from '../support/test-store.js';

/**
 * Fail closed (issue 13, item 2): when the audit trail cannot record, nothing is served unaudited. A trigger made
 * directly in the database refuses every audit insert (the trail's storage "fails"); reads and writes then answer
 * 503 with an OperationOutcome, no data leaves, no write lands, and /readyz says why. Once the trail records again,
 * so does the server.
 */

let srv: TestServer;
let db: Database.Database;
let patient = '';

before(async () => {
  srv = await startTestServer();
  patient = (await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', gender: 'female', name: [{ family: 'Closedwell' }] } })).body.id;
  db = new Database(path.join(srv.dataDir, 'vesta.sqlite'));
});
after(async () => {
  db.close();
  await srv.close();
});

const count = async (): Promise<number> =>
  (await fhir('GET', `${srv.base}/Patient?_summary=count`)).body.total as number;

test('with the trail unwritable, reads and writes are 503, nothing leaves and nothing lands; then it recovers', { skip: SQLITE_ONLY }, async () => {
  const before = await count();
  db.exec(`CREATE TRIGGER audit_refuses BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit storage failure'); END`);
  try {
    const read = await fhir('GET', `${srv.base}/Patient/${patient}`);
    assert.equal(read.status, 503);
    assert.equal(read.body.resourceType, 'OperationOutcome');
    assert.ok(!read.text.includes('Closedwell'), 'no data in a refused response');
    assert.equal(read.headers.get('retry-after'), '5');

    const search = await fhir('GET', `${srv.base}/Patient?name=Closedwell`);
    assert.equal(search.status, 503);
    assert.ok(!search.text.includes('Closedwell'));

    const create = await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', gender: 'male' } });
    assert.equal(create.status, 503);
    assert.equal(create.body.resourceType, 'OperationOutcome');

    const ready = await fetch(`${srv.root}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(((await ready.json()) as { status: string }).status, /audit/);
  } finally {
    db.exec('DROP TRIGGER audit_refuses');
  }
  // The trail records again: reads are served at once, and once the trail has been healthy a moment, writes too.
  assert.equal(await count(), before, 'the refused create did not land');
  assert.equal((await fhir('GET', `${srv.base}/Patient/${patient}`)).status, 200);
  let ready = 503;
  for (let i = 0; i < 100 && ready !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    ready = (await fetch(`${srv.root}/readyz`)).status;
  }
  assert.equal(ready, 200);
  assert.equal((await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', gender: 'male' } })).status, 201);
  // Every record made before and after the failure is still one intact chain.
  const report = await srv.app.audit!.verify();
  assert.equal(report.intact, true, report.broken?.problem);
});

test('a 500 (the store fails under a read) is recorded as a serious failure, outcome 8', async () => {
  // A store whose reads of one id fail as a broken disk would: the client gets a 500 without a stack, the trail a record.
  const broken = await startTestServer({
    wrapStore: (inner) => Object.assign(Object.create(Object.getPrototypeOf(inner)) as typeof inner, inner, {
      read: (type: string, id: string) => (id === 'explodes' ? Promise.reject(new Error('disk I/O error')) : inner.read(type, id)),
    }),
  });
  try {
    const res = await fhir('GET', `${broken.base}/Patient/explodes`, { headers: { 'X-Request-Id': 'five-hundred-1' } });
    assert.equal(res.status, 500);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.ok(!res.text.includes('disk I/O error'), 'no internals to the client');
    const records = (await auditRecords(broken.store, 'five-hundred-1')).map((r) => r.event);
    assert.equal(records.length, 1);
    assert.equal(records[0].outcome, '8');
    assert.equal(records[0].subtype[0].code, 'read');
    const refs = (role: string): string[] => records[0].entity.filter((e: { role: { code: string } }) => e.role.code === role).map((e: { what: { reference: string } }) => e.what.reference);
    assert.deepEqual(refs('4'), ['Patient/explodes']);
    assert.deepEqual(refs('1'), ['Patient/explodes']);
  } finally {
    await broken.close();
  }
});
