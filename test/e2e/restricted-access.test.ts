import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { FhirResponse, TestServer } from '../support/test-app.js';
import { RecordingPolicy } from '../support/recording-hooks.js';
import type { Clause } from '../../src/vocabulary/plan.js';
import { TX_SKIP } from '../support/test-store.js';

/**
 * A policy that restricts the caller to Patient A's compartment (as a patient-scoped SMART token will): every read
 * path and every conditional interaction goes through the one restricted path, and B's resources look exactly
 * like resources that never existed (FHIR R4 http.html#read: 404), deleted or not.
 */

const SYS = 'http://restricted.example.org/mrn';
let srv: TestServer;
let patientA = '';
let patientB = '';
const policy = new RecordingPolicy((ctx) => ({
  allow: true,
  // Before the two patients exist every request is unrestricted (the test's own set-up).
  restrict: patientA ? (type: string): Clause | undefined => srv.app.deps.searchEngine.compartment(type, patientA) : undefined,
}));

const observation = (patient: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${patient}` }, ...extra,
});

/** Creates without the restriction (as an administrator would), then hands the restriction back. */
async function asAdmin<T>(work: () => Promise<T>): Promise<T> {
  const saved = patientA;
  patientA = '';
  try {
    return await work();
  } finally {
    patientA = saved;
  }
}

let obsA = '';
let obsB = '';
let deletedA = '';
let deletedB = '';

before(async () => {
  srv = await startTestServer({ policy });
  const post = async (type: string, body: Record<string, unknown>): Promise<string> => {
    const r = await fhir('POST', `${srv.base}/${type}`, { body });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const a = await post('Patient', { resourceType: 'Patient', identifier: [{ system: SYS, value: 'A' }] });
  const b = await post('Patient', { resourceType: 'Patient', identifier: [{ system: SYS, value: 'B' }] });
  obsA = await post('Observation', observation(a, { identifier: [{ system: SYS, value: 'obs-a' }] }));
  obsB = await post('Observation', observation(b, { identifier: [{ system: SYS, value: 'obs-b' }] }));
  deletedA = await post('Observation', observation(a));
  deletedB = await post('Observation', observation(b));
  await fhir('DELETE', `${srv.base}/Observation/${deletedA}`);
  await fhir('DELETE', `${srv.base}/Observation/${deletedB}`);
  patientA = a;
  patientB = b;
});
after(async () => {
  await srv.close();
});

/** The answer for a resource that never existed, with the id swapped in, for comparison. */
async function neverExisted(path: string, id: string): Promise<FhirResponse> {
  return fhir('GET', `${srv.base}/${path.replace(id, 'never-was-here')}`);
}

function assertLooksMissing(res: FhirResponse, missing: FhirResponse, id: string): void {
  assert.equal(res.status, 404, res.text);
  assert.equal(res.status, missing.status);
  assert.deepEqual(JSON.parse(res.text.replaceAll(id, 'X')), JSON.parse(missing.text.replaceAll('never-was-here', 'X')));
}

describe('reads under a patient restriction', () => {
  test('reads the patient\'s own resources', async () => {
    assert.equal((await fhir('GET', `${srv.base}/Observation/${obsA}`)).status, 200);
    assert.equal((await fhir('GET', `${srv.base}/Observation/${obsA}/_history/1`)).status, 200);
    assert.equal((await fhir('GET', `${srv.base}/Observation/${obsA}/_history`)).status, 200);
    assert.equal((await fhir('GET', `${srv.base}/Patient/${patientA}`)).status, 200);
  });

  test('another patient\'s resource answers exactly like one that never existed: read, vread, history', async () => {
    for (const path of [`Observation/${obsB}`, `Observation/${obsB}/_history/1`, `Observation/${obsB}/_history`, `Patient/${patientB}`]) {
      const id = path.includes(obsB) ? obsB : patientB;
      assertLooksMissing(await fhir('GET', `${srv.base}/${path}`), await neverExisted(path, id), id);
    }
  });

  test('another patient\'s deleted resource is 404, not 410, for read, vread and history', async () => {
    for (const path of [`Observation/${deletedB}`, `Observation/${deletedB}/_history/1`, `Observation/${deletedB}/_history/2`, `Observation/${deletedB}/_history`]) {
      assertLooksMissing(await fhir('GET', `${srv.base}/${path}`), await neverExisted(path, deletedB), deletedB);
    }
  });

  test('the patient\'s own deleted resource is still 410 Gone, and its history readable', async () => {
    assert.equal((await fhir('GET', `${srv.base}/Observation/${deletedA}`)).status, 410);
    assert.equal((await fhir('GET', `${srv.base}/Observation/${deletedA}/_history/2`)).status, 410);
    const history = await fhir('GET', `${srv.base}/Observation/${deletedA}/_history`);
    assert.equal(history.status, 200);
    assert.equal(history.body.entry.length, 2);
  });
});

describe('conditional interactions under a patient restriction', () => {
  const criteria = (value: string): string => `identifier=${encodeURIComponent(`${SYS}|${value}`)}`;

  test('If-None-Exist does not match another patient\'s resource: it creates', async () => {
    const res = await fhir('POST', `${srv.base}/Observation`, { headers: { 'If-None-Exist': criteria('obs-b') }, body: observation(patientA) });
    assert.equal(res.status, 201, res.text);
    assert.notEqual(res.body.id, obsB);
  });

  test('If-None-Exist finds the patient\'s own resource', async () => {
    const res = await fhir('POST', `${srv.base}/Observation`, { headers: { 'If-None-Exist': criteria('obs-a') }, body: observation(patientA) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, obsA);
  });

  test('a conditional delete cannot reach another patient\'s resource', async () => {
    const res = await fhir('DELETE', `${srv.base}/Observation?${criteria('obs-b')}`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.body.issue[0].diagnostics, /Nothing to delete/);
    await asAdmin(async () => assert.equal((await fhir('GET', `${srv.base}/Observation/${obsB}`)).status, 200));
  });

  test('a conditional patch cannot reach another patient\'s resource', async () => {
    const res = await fhir('PATCH', `${srv.base}/Observation?${criteria('obs-b')}`, {
      headers: { 'Content-Type': 'application/json-patch+json' }, body: [{ op: 'replace', path: '/status', value: 'amended' }],
    });
    assert.equal(res.status, 404, res.text);
    await asAdmin(async () => assert.equal((await fhir('GET', `${srv.base}/Observation/${obsB}`)).body.status, 'final'));
  });

  test('a conditional reference in a transaction cannot resolve to another patient', { skip: TX_SKIP }, async () => {
    const res = await fhir('POST', srv.base, {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [{
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?${criteria('B')}` } },
          request: { method: 'POST', url: 'Observation' },
        }],
      },
    });
    assert.equal(res.status, 404, res.text);
  });
});
