import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer, steppingClock } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';

const SYS = 'http://hospital.example.org/mrn';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ clock: steppingClock() });
});
after(async () => {
  await srv.close();
});

const withMrn = (mrn: string, extra: Record<string, unknown> = {}) => sample('Patient', { identifier: [{ system: SYS, value: mrn }], ...extra });
const criteria = (mrn: string): string => `identifier=${encodeURIComponent(`${SYS}|${mrn}`)}`;

async function create(mrn: string): Promise<string> {
  const res = await fhir('POST', `${srv.base}/Patient`, { body: withMrn(mrn) });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

/** Ids of current Patients with the MRN, by search. */
async function idsWith(mrn: string): Promise<string[]> {
  const res = await fhir('GET', `${srv.base}/Patient?${criteria(mrn)}`);
  assert.equal(res.status, 200, res.text);
  return ((res.body.entry ?? []) as { resource: { id: string } }[]).map((e) => e.resource.id).sort();
}

describe('conditional create (If-None-Exist)', () => {
  test('with no match it creates: 201', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { 'If-None-Exist': criteria('cc-0') }, body: withMrn('cc-0') });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('location'), `${srv.base}/Patient/${res.body.id}/_history/1`);
    assert.deepEqual(await idsWith('cc-0'), [res.body.id]);
  });

  test('with one match it returns the existing resource with 200 and creates nothing', async () => {
    const id = await create('cc-1');
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { 'If-None-Exist': criteria('cc-1') }, body: withMrn('cc-1', { active: true }) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, id);
    assert.equal(res.body.active, undefined);
    assert.equal(res.headers.get('etag'), 'W/"1"');
    assert.deepEqual(await idsWith('cc-1'), [id]);
  });

  test('accepts the criteria with a leading Type? as well', async () => {
    const id = await create('cc-prefixed');
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { 'If-None-Exist': `Patient?${criteria('cc-prefixed')}` }, body: withMrn('cc-prefixed') });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, id);
  });

  test('with two matches it is 412 and creates nothing', async () => {
    await create('cc-2');
    await create('cc-2');
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { 'If-None-Exist': criteria('cc-2') }, body: withMrn('cc-2') });
    assertOutcome(res, { status: 412, code: 'conflict', diagnostics: 'more than one' });
    assert.equal((await idsWith('cc-2')).length, 2);
  });

  test('an unknown search parameter in If-None-Exist is 400, not a silent create', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { 'If-None-Exist': 'no-such-param=1' }, body: withMrn('cc-bad') });
    assertOutcome(res, { status: 400, code: 'not-supported', diagnostics: 'no-such-param', expression: 'no-such-param' });
    assert.deepEqual(await idsWith('cc-bad'), []);
  });
});

describe('conditional update', () => {
  test('with one match it updates that resource: 200 and version 2', async () => {
    const id = await create('cu-1');
    const res = await fhir('PUT', `${srv.base}/Patient?${criteria('cu-1')}`, { body: withMrn('cu-1', { active: true }) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, id);
    assert.equal(res.body.meta.versionId, '2');
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).body.active, true);
  });

  test('with no match it creates: 201 with Location', async () => {
    const res = await fhir('PUT', `${srv.base}/Patient?${criteria('cu-0')}`, { body: withMrn('cu-0') });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('location'), `${srv.base}/Patient/${res.body.id}/_history/1`);
    assert.deepEqual(await idsWith('cu-0'), [res.body.id]);
  });

  test('with two matches it is 412 and changes nothing', async () => {
    const [a, b] = [await create('cu-2'), await create('cu-2')];
    assertOutcome(await fhir('PUT', `${srv.base}/Patient?${criteria('cu-2')}`, { body: withMrn('cu-2', { active: true }) }), {
      status: 412, code: 'conflict', diagnostics: 'more than one',
    });
    for (const id of [a, b]) assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).body.meta.versionId, '1');
  });

  test('a body id that differs from the matched resource is 400', async () => {
    await create('cu-id');
    assertOutcome(await fhir('PUT', `${srv.base}/Patient?${criteria('cu-id')}`, { body: withMrn('cu-id', { id: 'some-other-id' }) }), {
      status: 400, code: 'invalid', expression: 'Patient.id',
    });
  });

  test('without criteria it is 400', async () => {
    assertOutcome(await fhir('PUT', `${srv.base}/Patient`, { body: withMrn('cu-none') }), { status: 400, code: 'invalid', diagnostics: 'criteria' });
  });
});

describe('conditional delete', () => {
  test('with one match it deletes that resource', async () => {
    const id = await create('cd-1');
    const res = await fhir('DELETE', `${srv.base}/Patient?${criteria('cd-1')}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('etag'), 'W/"2"');
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).status, 410);
    assert.deepEqual(await idsWith('cd-1'), []);
  });

  test('with no match it succeeds and deletes nothing', async () => {
    const before = (await fhir('GET', `${srv.base}/Patient/_history`)).body.entry.length;
    const res = await fhir('DELETE', `${srv.base}/Patient?${criteria('cd-0')}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.issue[0].severity, 'information');
    assert.match(res.body.issue[0].diagnostics, /Nothing to delete/);
    assert.equal((await fhir('GET', `${srv.base}/Patient/_history`)).body.entry.length, before);
  });

  test('with two matches it is 412 and deletes nothing', async () => {
    await create('cd-2');
    await create('cd-2');
    assertOutcome(await fhir('DELETE', `${srv.base}/Patient?${criteria('cd-2')}`), { status: 412, code: 'conflict', diagnostics: 'more than one' });
    assert.equal((await idsWith('cd-2')).length, 2);
  });

  test('without criteria it is 400 and deletes nothing', async () => {
    const id = await create('cd-none');
    assertOutcome(await fhir('DELETE', `${srv.base}/Patient`), { status: 400, code: 'invalid', diagnostics: 'criteria' });
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).status, 200);
  });
});

describe('conditional patch', () => {
  const body = [{ op: 'add', path: '/active', value: true }];
  const headers = { 'Content-Type': 'application/json-patch+json' };

  test('with one match it patches that resource', async () => {
    const id = await create('cp-1');
    const res = await fhir('PATCH', `${srv.base}/Patient?${criteria('cp-1')}`, { headers, body });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, id);
    assert.equal(res.body.active, true);
  });

  test('with two matches it is 412', async () => {
    await create('cp-2');
    await create('cp-2');
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient?${criteria('cp-2')}`, { headers, body }), { status: 412, code: 'conflict' });
  });

  test('with no match it is 404', async () => {
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient?${criteria('cp-0')}`, { headers, body }), { status: 404, code: 'not-found' });
  });
});
