import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer, steppingClock } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ clock: steppingClock() });
});
after(async () => {
  await srv.close();
});

/** Number of versions of `type` ever written (type history), to prove a rejected write stored nothing. */
async function versionsOf(type: string): Promise<number> {
  const res = await fhir('GET', `${srv.base}/${type}/_history`);
  assert.equal(res.status, 200, res.text);
  return (res.body.entry ?? []).length;
}

describe('create and update reject invalid resources with 400', () => {
  test('an unknown element is 400 with code structure naming the element', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { favouriteColour: 'blue' }) }), {
      status: 400, code: 'structure', diagnostics: 'favouriteColour', expression: 'Patient.favouriteColour',
    });
  });

  test('a value of the wrong type is 400 naming the element', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { active: 'yes' }) }), {
      status: 400, code: 'structure', diagnostics: 'Patient.active', expression: 'Patient.active',
    });
  });

  test('a malformed birth date is 400 with Patient.birthDate in expression', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { birthDate: '1980-13-45' }) });
    assertOutcome(res, { status: 400, code: 'value', diagnostics: 'Patient.birthDate', expression: 'Patient.birthDate' });
    assert.deepEqual(res.body.issue[0].expression, ['Patient.birthDate']);
  });

  test('an impossible calendar date (February 30) is 400', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { birthDate: '1980-02-30' }) }), {
      status: 400, code: 'value', expression: 'Patient.birthDate',
    });
  });

  test('a gender outside the required binding is 400 naming Patient.gender', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { gender: 'robot' }) }), {
      status: 400, code: 'code-invalid', diagnostics: 'Patient.gender', expression: 'Patient.gender',
    });
  });

  test('a missing required element is 400 naming it', async () => {
    const { code: _c, ...noCode } = sample('Observation');
    assertOutcome(await fhir('POST', `${srv.base}/Observation`, { body: noCode }), {
      status: 400, code: 'required', diagnostics: 'Observation.code', expression: 'Observation.code',
    });
  });

  test('an empty array is 400 (FHIR JSON forbids empty arrays)', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { name: [] }) });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.equal(res.body.issue[0].severity, 'error');
    assert.deepEqual(res.body.issue[0].expression, ['Patient.name']);
  });

  test('a narrative div with a script element is 400 (txt-1: only basic XHTML)', async () => {
    const div = '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>';
    const res = await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { text: { status: 'generated', div } }) });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.issue[0].severity, 'error');
    assert.deepEqual(res.body.issue[0].expression, ['Patient.text.div']);
  });

  test('every problem of a resource is listed in one OperationOutcome', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { gender: 'robot', birthDate: 'soon', active: 3 }) });
    assert.equal(res.status, 400);
    const expressions = (res.body.issue as { expression?: string[] }[]).flatMap((i) => i.expression ?? []).sort();
    assert.deepEqual(expressions, ['Patient.active', 'Patient.birthDate', 'Patient.gender']);
  });

  test('an update with an invalid resource is 400 and keeps the current version', async () => {
    const id = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') })).body.id;
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/${id}`, { body: sample('Patient', { id, gender: 'robot' }) }), {
      status: 400, code: 'code-invalid', expression: 'Patient.gender',
    });
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).body.meta.versionId, '1');
  });

  test('a body resourceType that differs from the URL is 400 on create', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Observation`, { body: sample('Patient') }), {
      status: 400, code: 'invalid', diagnostics: 'does not match the URL', expression: 'resourceType',
    });
  });

  test('a body resourceType that differs from the URL is 400 on update', async () => {
    assertOutcome(await fhir('PUT', `${srv.base}/Observation/x1`, { body: sample('Patient', { id: 'x1' }) }), {
      status: 400, code: 'invalid', diagnostics: 'does not match the URL', expression: 'resourceType',
    });
  });

  test('a body without resourceType is 400', async () => {
    const { resourceType: _r, ...bare } = sample('Patient');
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: bare }), { status: 400, code: 'invalid', expression: 'resourceType' });
  });

  test('a JSON body that is not an object is 400', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: '[1,2]' }), { status: 400, code: 'invalid', diagnostics: 'JSON object' });
  });

  test('an update whose body id differs from the URL id is 400', async () => {
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/url-id`, { body: sample('Patient', { id: 'body-id' }) }), {
      status: 400, code: 'invalid', diagnostics: 'does not match the URL', expression: 'Patient.id',
    });
    assert.equal((await fhir('GET', `${srv.base}/Patient/url-id`)).status, 404);
    assert.equal((await fhir('GET', `${srv.base}/Patient/body-id`)).status, 404);
  });

  test('an update whose body has no id is 400', async () => {
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/url-id`, { body: sample('Patient') }), {
      status: 400, code: 'invalid', expression: 'Patient.id',
    });
  });
});

describe('$validate', () => {
  test('validating a resource directly answers 200 with every issue and stores nothing', async () => {
    const before = await versionsOf('Substance');
    const res = await fhir('POST', `${srv.base}/Substance/$validate`, { body: sample('Substance', { status: 'liquid', unknownThing: 1 }) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    const byExpr = new Map((res.body.issue as { expression?: string[]; code: string; severity: string }[]).map((i) => [i.expression?.[0], i]));
    assert.equal(byExpr.get('Substance.status')?.code, 'code-invalid');
    assert.equal(byExpr.get('Substance.unknownThing')?.code, 'structure');
    assert.equal(byExpr.get('Substance.status')?.severity, 'error');
    assert.equal(await versionsOf('Substance'), before);
    assert.equal(before, 0);
  });

  test('validating a Parameters with a resource part answers 200 with the issues and stores nothing', async () => {
    const res = await fhir('POST', `${srv.base}/Patient/$validate`, {
      body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: sample('Patient', { birthDate: 'not-a-date' }) }] },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.equal(res.body.issue[0].severity, 'error');
    assert.equal(res.body.issue[0].code, 'value');
    assert.deepEqual(res.body.issue[0].expression, ['Patient.birthDate']);
    const hist = await fhir('GET', `${srv.base}/Patient/_history`);
    const stored = (hist.body.entry ?? []).filter((e: { resource?: { birthDate?: string } }) => e.resource?.birthDate === 'not-a-date');
    assert.equal(stored.length, 0);
  });

  test('a valid resource gives a single informational issue and is not stored', async () => {
    const res = await fhir('POST', `${srv.base}/MedicationRequest/$validate`, { body: sample('MedicationRequest') });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.issue.length, 1);
    assert.equal(res.body.issue[0].severity, 'information');
    assert.equal(res.body.issue[0].code, 'informational');
    assert.equal(await versionsOf('MedicationRequest'), 0);
  });

  test('a resource of another type than the URL is reported as an issue', async () => {
    const res = await fhir('POST', `${srv.base}/Observation/$validate`, { body: sample('Patient') });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.issue[0].severity, 'error');
    assert.deepEqual(res.body.issue[0].expression, ['resourceType']);
  });

  test('a Parameters without a resource part is 400', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient/$validate`, { body: { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'create' }] } }), {
      status: 400, code: 'invalid', diagnostics: 'resource',
    });
  });

  test('an unknown operation is 404', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient/$frobnicate`, { body: sample('Patient') }), {
      status: 404, code: 'not-found', diagnostics: '$frobnicate',
    });
  });
});
