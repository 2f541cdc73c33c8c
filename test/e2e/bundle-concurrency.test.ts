import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { TX_SKIP } from '../support/test-store.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

const SYS = 'http://vesta.test/id';

test('two concurrent transactions updating the same resource with ifMatch: one wins, the other fails whole', { skip: TX_SKIP }, async () => {
  const p = await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', active: false } });
  assert.equal(p.status, 201, p.text);
  const attempt = (n: number) => fhir('POST', srv.base, {
    body: {
      resourceType: 'Bundle', type: 'transaction', entry: [
        { resource: { resourceType: 'Patient', identifier: [{ system: SYS, value: `conc-${process.pid}-${n}` }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { ...p.body, gender: n === 1 ? 'female' : 'male' }, request: { method: 'PUT', url: `Patient/${p.body.id}`, ifMatch: 'W/"1"' } },
      ],
    },
  });
  const results = await Promise.all([attempt(1), attempt(2)]);
  const statuses = results.map((r) => r.status).sort();
  assert.equal(statuses[0], 200);
  assert.ok(statuses[1] === 409 || statuses[1] === 412, `loser got ${statuses[1]}`);
  const winner = results.findIndex((r) => r.status === 200) + 1;
  const loser = winner === 1 ? 2 : 1;
  const current = await fhir('GET', `${srv.base}/Patient/${p.body.id}`);
  assert.equal(current.body.meta.versionId, '2');
  assert.equal(current.body.gender, winner === 1 ? 'female' : 'male');
  const history = await fhir('GET', `${srv.base}/Patient/${p.body.id}/_history`);
  assert.equal(history.body.entry.length, 2);
  const count = async (n: number) =>
    (await fhir('GET', `${srv.base}/Patient?identifier=${encodeURIComponent(`${SYS}|conc-${process.pid}-${n}`)}&_summary=count`)).body.total;
  assert.equal(await count(winner), 1);
  assert.equal(await count(loser), 0);
});

test('readers see nothing of a transaction before it commits', { skip: TX_SKIP }, async () => {
  const value = `iso-${process.pid}`;
  const entries = Array.from({ length: 400 }, () => ({
    resource: { resourceType: 'Patient', identifier: [{ system: SYS, value }] }, request: { method: 'POST', url: 'Patient' },
  }));
  const pending = fhir('POST', srv.base, { body: { resourceType: 'Bundle', type: 'transaction', entry: entries }, headers: { Prefer: 'return=minimal' } });
  const seen: number[] = [];
  let done = false;
  void pending.then(() => { done = true; });
  while (!done) {
    const r = await fhir('GET', `${srv.base}/Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}&_summary=count`);
    seen.push(r.body.total as number);
  }
  assert.equal((await pending).status, 200);
  assert.ok(seen.every((n) => n === 0 || n === 400), `partial counts seen: ${[...new Set(seen)].join(',')}`);
  const after = await fhir('GET', `${srv.base}/Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}&_summary=count`);
  assert.equal(after.body.total, 400);
});
