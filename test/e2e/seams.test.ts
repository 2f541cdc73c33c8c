import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { FhirResponse, TestServer } from '../support/test-app.js';
import { sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';
import { RecordingAuditor, RecordingPolicy } from '../support/recording-hooks.js';

const policy = new RecordingPolicy();
const auditor = new RecordingAuditor();
let srv: TestServer;
let pid = '';

before(async () => {
  srv = await startTestServer({ policy, auditor });
  pid = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') })).body.id;
});
after(async () => {
  await srv.close();
});
beforeEach(() => {
  policy.clear();
  auditor.clear();
});

/** Asserts the policy and the auditor each saw exactly one call for `interaction`, and the audit has the response status. */
function assertSeen(res: FhirResponse, interaction: string, action: string | null, extra: { resourceType?: string; id?: string } = {}): void {
  assert.deepEqual(policy.calls.map((c) => c.interaction), [interaction], 'policy calls');
  assert.deepEqual(auditor.events.map((e) => e.context.interaction), [interaction], 'audit events');
  const ev = auditor.events[0];
  assert.equal(ev.status, res.status);
  assert.equal(ev.action, action);
  assert.equal(ev.context.requestId, res.headers.get('x-request-id'));
  assert.ok(ev.durationMs >= 0);
  assert.ok(!Number.isNaN(Date.parse(ev.recorded)));
  if (extra.resourceType !== undefined) assert.equal(ev.context.resourceType, extra.resourceType);
  if (extra.id !== undefined) assert.equal(ev.context.id, extra.id);
}

describe('the access policy and the auditor see every interaction once', () => {
  test('read', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}`);
    assert.equal(res.status, 200);
    assertSeen(res, 'read', 'R', { resourceType: 'Patient', id: pid });
  });

  test('vread', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}/_history/1`);
    assert.equal(res.status, 200);
    assertSeen(res, 'vread', 'R', { resourceType: 'Patient', id: pid });
  });

  test('create', async () => {
    const res = await fhir('POST', `${srv.base}/Observation`, { body: sample('Observation') });
    assert.equal(res.status, 201);
    assertSeen(res, 'create', 'C', { resourceType: 'Observation' });
  });

  test('update', async () => {
    const res = await fhir('PUT', `${srv.base}/Patient/${pid}`, { body: sample('Patient', { id: pid, active: true }) });
    assert.equal(res.status, 200);
    assertSeen(res, 'update', 'U', { resourceType: 'Patient', id: pid });
  });

  test('patch', async () => {
    const res = await fhir('PATCH', `${srv.base}/Patient/${pid}`, {
      headers: { 'Content-Type': 'application/json-patch+json' }, body: [{ op: 'replace', path: '/active', value: false }],
    });
    assert.equal(res.status, 200, res.text);
    assertSeen(res, 'patch', 'U', { resourceType: 'Patient', id: pid });
  });

  test('delete', async () => {
    const id = (await fhir('POST', `${srv.base}/Substance`, { body: sample('Substance') })).body.id;
    policy.clear();
    auditor.clear();
    const res = await fhir('DELETE', `${srv.base}/Substance/${id}`);
    assert.equal(res.status, 200);
    assertSeen(res, 'delete', 'D', { resourceType: 'Substance', id });
  });

  test('history-instance', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}/_history`);
    assert.equal(res.status, 200);
    assertSeen(res, 'history-instance', 'R', { resourceType: 'Patient', id: pid });
  });

  test('history-type', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/_history`);
    assert.equal(res.status, 200);
    assertSeen(res, 'history-type', 'E', { resourceType: 'Patient' });
  });

  test('history-system', async () => {
    const res = await fhir('GET', `${srv.base}/_history`);
    assert.equal(res.status, 200);
    assertSeen(res, 'history-system', 'E');
  });

  test('search-type by GET', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?family=Rivera`);
    assert.equal(res.status, 200, res.text);
    assertSeen(res, 'search-type', 'E', { resourceType: 'Patient' });
  });

  test('search-type by POST _search', async () => {
    const res = await fhir('POST', `${srv.base}/Patient/_search`, {
      body: 'family=Rivera', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200, res.text);
    assertSeen(res, 'search-type', 'E', { resourceType: 'Patient' });
  });

  test('capabilities', async () => {
    const res = await fhir('GET', `${srv.base}/metadata`);
    assert.equal(res.status, 200);
    assertSeen(res, 'capabilities', null);
  });

  test('operation', async () => {
    const res = await fhir('POST', `${srv.base}/Patient/$validate`, { body: sample('Patient') });
    assert.equal(res.status, 200);
    assertSeen(res, 'operation', 'E', { resourceType: 'Patient' });
    assert.equal(policy.calls[0].operation, 'validate');
  });
});

describe('failures are audited once with their status', () => {
  test('a read of an unknown resource is audited with 404', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/unknown-one`);
    assert.equal(res.status, 404);
    assertSeen(res, 'read', 'R', { resourceType: 'Patient', id: 'unknown-one' });
  });

  test('a read of a deleted resource is audited with 410', async () => {
    const id = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') })).body.id;
    await fhir('DELETE', `${srv.base}/Patient/${id}`);
    policy.clear();
    auditor.clear();
    const res = await fhir('GET', `${srv.base}/Patient/${id}`);
    assert.equal(res.status, 410);
    assertSeen(res, 'read', 'R', { id });
  });

  test('an update with a stale If-Match is audited with 412', async () => {
    const res = await fhir('PUT', `${srv.base}/Patient/${pid}`, { headers: { 'If-Match': 'W/"99"' }, body: sample('Patient', { id: pid }) });
    assert.equal(res.status, 412);
    assertSeen(res, 'update', 'U', { id: pid });
  });

  test('an invalid create is audited with 400', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { gender: 'robot' }) });
    assert.equal(res.status, 400);
    assertSeen(res, 'create', 'C', { resourceType: 'Patient' });
  });

  test('a malformed JSON body is audited with 400', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: '{' });
    assert.equal(res.status, 400);
    assert.deepEqual(auditor.events.map((e) => [e.context.interaction, e.status]), [['create', 400]]);
  });

  test('an unsupported media type is audited with 415', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: 'hello', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(res.status, 415);
    assert.deepEqual(auditor.events.map((e) => [e.context.interaction, e.status]), [['create', 415]]);
  });

  test('a read with an invalid id is audited with 400', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/a_b`);
    assert.equal(res.status, 400);
    assert.deepEqual(auditor.events.map((e) => [e.context.interaction, e.status]), [['read', 400]]);
  });

  test('a read asking for XML is audited with 406', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}?_format=xml`);
    assert.equal(res.status, 406);
    assert.deepEqual(auditor.events.map((e) => [e.context.interaction, e.status]), [['read', 406]]);
  });
});

describe('a denying policy', () => {
  const denyPolicy = new RecordingPolicy((ctx) => ({ allow: ctx.interaction === 'capabilities', reason: 'Not permitted for this test client' }));
  const denyAuditor = new RecordingAuditor();
  let denied: TestServer;
  before(async () => {
    denied = await startTestServer({ policy: denyPolicy, auditor: denyAuditor });
  });
  after(async () => {
    await denied.close();
  });

  test('a denied read is 403 with an OperationOutcome and is audited with 403', async () => {
    const res = await fhir('GET', `${denied.base}/Patient/anything`);
    assertOutcome(res, { status: 403, code: 'forbidden', diagnostics: 'Not permitted for this test client' });
    assert.deepEqual(denyAuditor.events.map((e) => [e.context.interaction, e.status]), [['read', 403]]);
  });

  test('a denied create stores nothing', async () => {
    denyPolicy.clear();
    const res = await fhir('POST', `${denied.base}/Patient`, { body: sample('Patient') });
    assertOutcome(res, { status: 403, code: 'forbidden' });
    assert.equal(denyPolicy.calls.length, 1);
    const page = await denied.store.history({ resourceType: 'Patient' }, { count: 10 });
    assert.equal(page.items.length, 0);
  });

  test('a denied search is 403', async () => {
    assertOutcome(await fhir('GET', `${denied.base}/Patient?family=x`), { status: 403, code: 'forbidden' });
  });

  test('an allowed interaction still works under the same policy', async () => {
    const res = await fhir('GET', `${denied.base}/metadata`);
    assert.equal(res.status, 200);
  });
});
