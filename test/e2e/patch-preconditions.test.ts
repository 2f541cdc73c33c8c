import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer, steppingClock } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';

const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ clock: steppingClock() });
});
after(async () => {
  await srv.close();
});

async function newPatient(extra: Record<string, unknown> = {}): Promise<string> {
  const res = await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', extra) });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

describe('PATCH with JSON Patch', () => {
  test('applies the operations and returns 200 with the next version', async () => {
    const id = await newPatient();
    const res = await fhir('PATCH', `${srv.base}/Patient/${id}`, {
      headers: JSON_PATCH,
      body: [{ op: 'replace', path: '/gender', value: 'other' }, { op: 'add', path: '/active', value: true }],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('etag'), 'W/"2"');
    assert.equal(res.body.gender, 'other');
    assert.equal(res.body.active, true);
    assert.equal(res.body.meta.versionId, '2');
    const read = await fhir('GET', `${srv.base}/Patient/${id}`);
    assert.equal(read.body.gender, 'other');
    const hist = await fhir('GET', `${srv.base}/Patient/${id}/_history`);
    assert.equal(hist.body.entry[0].request.method, 'PATCH');
  });

  test('patches an Observation the same way', async () => {
    const created = await fhir('POST', `${srv.base}/Observation`, { body: sample('Observation') });
    const res = await fhir('PATCH', `${srv.base}/Observation/${created.body.id}`, {
      headers: JSON_PATCH, body: [{ op: 'replace', path: '/status', value: 'amended' }],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'amended');
  });

  test('a passing test operation lets the patch apply', async () => {
    const id = await newPatient();
    const res = await fhir('PATCH', `${srv.base}/Patient/${id}`, {
      headers: JSON_PATCH, body: [{ op: 'test', path: '/gender', value: 'female' }, { op: 'replace', path: '/gender', value: 'male' }],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.gender, 'male');
  });

  test('a failing test operation is 422 and changes nothing', async () => {
    const id = await newPatient();
    const res = await fhir('PATCH', `${srv.base}/Patient/${id}`, {
      headers: JSON_PATCH, body: [{ op: 'test', path: '/gender', value: 'male' }, { op: 'replace', path: '/gender', value: 'other' }],
    });
    assertOutcome(res, { status: 422, code: 'processing', diagnostics: 'JSON Patch' });
    const read = await fhir('GET', `${srv.base}/Patient/${id}`);
    assert.equal(read.body.gender, 'female');
    assert.equal(read.body.meta.versionId, '1');
  });

  test('removing a path that does not exist is 422', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: JSON_PATCH, body: [{ op: 'remove', path: '/deceasedBoolean' }] }), {
      status: 422, code: 'processing',
    });
  });

  test('an unknown patch operation is 400', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: JSON_PATCH, body: [{ op: 'frobnicate', path: '/gender' }] }), {
      status: 400, code: 'invalid', diagnostics: 'Invalid JSON Patch',
    });
  });

  test('a patch body that is not an array is 400', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: JSON_PATCH, body: { op: 'replace', path: '/gender', value: 'male' } }), {
      status: 400, code: 'invalid', diagnostics: 'array',
    });
  });

  test('a patch body that is not JSON is 400', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: JSON_PATCH, body: '[{"op":' }), {
      status: 400, code: 'structure', diagnostics: 'not valid JSON',
    });
  });

  test('a patch whose result is invalid is 400 and changes nothing', async () => {
    const id = await newPatient();
    const res = await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: JSON_PATCH, body: [{ op: 'replace', path: '/gender', value: 'robot' }] });
    assertOutcome(res, { status: 400, code: 'code-invalid', diagnostics: 'Patient.gender', expression: 'Patient.gender' });
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).body.meta.versionId, '1');
  });

  test('a patch that changes the id is 400', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: JSON_PATCH, body: [{ op: 'replace', path: '/id', value: 'other-id' }] }), {
      status: 400, code: 'invalid', diagnostics: 'id', expression: 'Patient.id',
    });
  });

  test('PATCH with a FHIR JSON content type is 415', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { body: [{ op: 'replace', path: '/gender', value: 'male' }] }), {
      status: 415, code: 'not-supported', diagnostics: 'application/json-patch+json',
    });
  });

  test('PATCH of an unknown resource is 404 and of a deleted one 410', async () => {
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/not-there`, { headers: JSON_PATCH, body: [] }), { status: 404, code: 'not-found' });
    const id = await newPatient();
    await fhir('DELETE', `${srv.base}/Patient/${id}`);
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: JSON_PATCH, body: [] }), { status: 410, code: 'deleted' });
  });
});

describe('If-Match on update, patch and delete', () => {
  test('update with the current version succeeds and with an old one is 412', async () => {
    const id = await newPatient();
    const ok = await fhir('PUT', `${srv.base}/Patient/${id}`, { headers: { 'If-Match': 'W/"1"' }, body: sample('Patient', { id, active: true }) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('etag'), 'W/"2"');
    const stale = await fhir('PUT', `${srv.base}/Patient/${id}`, { headers: { 'If-Match': 'W/"1"' }, body: sample('Patient', { id, active: false }) });
    assertOutcome(stale, { status: 412, code: 'conflict', diagnostics: 'Version mismatch' });
    const read = await fhir('GET', `${srv.base}/Patient/${id}`);
    assert.equal(read.body.active, true);
    assert.equal(read.body.meta.versionId, '2');
  });

  test('update with If-Match on a resource that does not exist is 412', async () => {
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/fresh-one`, { headers: { 'If-Match': 'W/"1"' }, body: sample('Patient', { id: 'fresh-one' }) }), {
      status: 412, code: 'conflict', diagnostics: 'does not exist',
    });
    assert.equal((await fhir('GET', `${srv.base}/Patient/fresh-one`)).status, 404);
  });

  test('a malformed If-Match is 400', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/${id}`, { headers: { 'If-Match': 'W/"1", W/"2"' }, body: sample('Patient', { id }) }), {
      status: 400, code: 'invalid', diagnostics: 'If-Match',
    });
  });

  test('patch with a stale If-Match is 412 and with the current one succeeds', async () => {
    const id = await newPatient();
    const body = [{ op: 'replace', path: '/gender', value: 'male' }];
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: { ...JSON_PATCH, 'If-Match': 'W/"7"' }, body }), {
      status: 412, code: 'conflict', diagnostics: 'Version mismatch',
    });
    const ok = await fhir('PATCH', `${srv.base}/Patient/${id}`, { headers: { ...JSON_PATCH, 'If-Match': 'W/"1"' }, body });
    assert.equal(ok.status, 200, ok.text);
  });

  test('delete with a stale If-Match is 412 and keeps the resource; with the current one it deletes', async () => {
    const id = await newPatient();
    assertOutcome(await fhir('DELETE', `${srv.base}/Patient/${id}`, { headers: { 'If-Match': 'W/"2"' } }), {
      status: 412, code: 'conflict', diagnostics: 'Version mismatch',
    });
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).status, 200);
    const ok = await fhir('DELETE', `${srv.base}/Patient/${id}`, { headers: { 'If-Match': 'W/"1"' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).status, 410);
  });
});

describe('conditional read', () => {
  test('If-None-Match with the current ETag is 304 with no body', async () => {
    const id = await newPatient();
    const res = await fhir('GET', `${srv.base}/Patient/${id}`, { headers: { 'If-None-Match': 'W/"1"' } });
    assert.equal(res.status, 304);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('etag'), 'W/"1"');
  });

  test('If-None-Match with an older ETag returns the resource', async () => {
    const id = await newPatient();
    await fhir('PUT', `${srv.base}/Patient/${id}`, { body: sample('Patient', { id, active: true }) });
    const res = await fhir('GET', `${srv.base}/Patient/${id}`, { headers: { 'If-None-Match': 'W/"1"' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.meta.versionId, '2');
  });

  test('If-Modified-Since at or after Last-Modified is 304', async () => {
    const id = await newPatient();
    const first = await fhir('GET', `${srv.base}/Patient/${id}`);
    const lm = first.headers.get('last-modified')!;
    const res = await fhir('GET', `${srv.base}/Patient/${id}`, { headers: { 'If-Modified-Since': lm } });
    assert.equal(res.status, 304);
    assert.equal(res.text, '');
    const later = await fhir('GET', `${srv.base}/Patient/${id}`, { headers: { 'If-Modified-Since': new Date(Date.parse(lm) + 3600_000).toUTCString() } });
    assert.equal(later.status, 304);
  });

  test('If-Modified-Since before Last-Modified returns the resource', async () => {
    const id = await newPatient();
    const res = await fhir('GET', `${srv.base}/Patient/${id}`, { headers: { 'If-Modified-Since': 'Sun, 31 Dec 2023 00:00:00 GMT' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, id);
  });
});

describe('concurrent writers', () => {
  test('parallel updates without If-Match all succeed with distinct consecutive versions', async () => {
    const id = await newPatient();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => fhir('PUT', `${srv.base}/Patient/${id}`, { body: sample('Patient', { id, multipleBirthInteger: i + 1 }) })),
    );
    assert.deepEqual(results.map((r) => r.status), Array(8).fill(200), results.map((r) => r.text.slice(0, 120)).join('\n'));
    assert.deepEqual(results.map((r) => Number(r.body.meta.versionId)).sort((x, y) => x - y), [2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).body.meta.versionId, '9');
  });

  test('parallel updates with the same If-Match: exactly one wins, the others get 412', async () => {
    const id = await newPatient();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => fhir('PUT', `${srv.base}/Patient/${id}`, {
        headers: { 'If-Match': 'W/"1"' }, body: sample('Patient', { id, multipleBirthInteger: i + 1 }),
      })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 412, 412, 412, 412, 412]);
    for (const r of results.filter((x) => x.status === 412)) assert.equal(r.body.issue[0].code, 'conflict');
    const hist = await fhir('GET', `${srv.base}/Patient/${id}/_history`);
    assert.equal(hist.body.entry.length, 2);
  });
});
