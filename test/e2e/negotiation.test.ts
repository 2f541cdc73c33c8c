import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer, steppingClock } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

let srv: TestServer;
let pid = '';
before(async () => {
  srv = await startTestServer({ clock: steppingClock() });
  const res = await fhir('POST', `${srv.base}/Patient`, {
    body: sample('Patient', {
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ana Rivera</div>' },
      active: true,
      maritalStatus: { text: 'Married' },
      meta: { tag: [{ system: 'http://example.org/tags', code: 'demo' }] },
    }),
  });
  assert.equal(res.status, 201, res.text);
  pid = res.body.id;
});
after(async () => {
  await srv.close();
});

describe('Prefer: return', () => {
  test('return=minimal on create gives 201 with headers and no body', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { Prefer: 'return=minimal' }, body: sample('Patient') });
    assert.equal(res.status, 201);
    assert.equal(res.text, '');
    assert.match(res.headers.get('location') ?? '', new RegExp(`^${srv.base}/Patient/[^/]+/_history/1$`));
    assert.equal(res.headers.get('etag'), 'W/"1"');
  });

  test('return=representation on create returns the stored resource', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { Prefer: 'return=representation' }, body: sample('Patient') });
    assert.equal(res.status, 201);
    assert.equal(res.body.resourceType, 'Patient');
    assert.equal(res.body.meta.versionId, '1');
  });

  test('return=OperationOutcome on create returns an informational OperationOutcome', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { headers: { Prefer: 'return=OperationOutcome' }, body: sample('Patient') });
    assert.equal(res.status, 201);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.equal(res.body.issue[0].severity, 'information');
    assert.ok(res.headers.get('location'));
  });

  test('return=minimal on update gives 200 with an ETag and no body', async () => {
    const res = await fhir('PUT', `${srv.base}/Patient/${pid}`, {
      headers: { Prefer: 'return=minimal' }, body: { ...(await fhir('GET', `${srv.base}/Patient/${pid}`)).body },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '');
    assert.match(res.headers.get('etag') ?? '', /^W\/"\d+"$/);
  });

  test('return=OperationOutcome on patch gives an OperationOutcome', async () => {
    const res = await fhir('PATCH', `${srv.base}/Patient/${pid}`, {
      headers: { 'Content-Type': 'application/json-patch+json', Prefer: 'return=OperationOutcome' },
      body: [{ op: 'replace', path: '/active', value: true }],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  });

  test('return=minimal on delete gives 204', async () => {
    const id = (await fhir('POST', `${srv.base}/Observation`, { body: sample('Observation') })).body.id;
    const res = await fhir('DELETE', `${srv.base}/Observation/${id}`, { headers: { Prefer: 'return=minimal' } });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
  });
});

describe('_format and Accept', () => {
  for (const f of ['json', 'application/fhir+json', 'application/json']) {
    test(`_format=${f} is answered in FHIR JSON`, async () => {
      const res = await fhir('GET', `${srv.base}/Patient/${pid}?_format=${encodeURIComponent(f)}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
      assert.equal(res.body.id, pid);
    });
  }

  for (const f of ['xml', 'application/fhir+xml', 'text/xml']) {
    test(`_format=${f} is 406 with an OperationOutcome`, async () => {
      assertOutcome(await fhir('GET', `${srv.base}/Patient/${pid}?_format=${encodeURIComponent(f)}`), {
        status: 406, code: 'not-supported', diagnostics: 'JSON only',
      });
    });
  }

  test('Accept: application/fhir+xml is 406 with an OperationOutcome', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient/${pid}`, { headers: { Accept: 'application/fhir+xml' } }), {
      status: 406, code: 'not-supported', diagnostics: 'application/fhir+json',
    });
  });

  test('Accept: application/fhir+xml on metadata is 406 too', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/metadata`, { headers: { Accept: 'application/fhir+xml' } }), { status: 406, code: 'not-supported' });
  });

  test('Accept listing XML first but JSON as an alternative is answered in JSON', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}`, { headers: { Accept: 'application/fhir+xml;q=0.9, application/fhir+json;q=0.8' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.id, pid);
  });

  for (const accept of ['application/fhir+json', 'application/json', '*/*']) {
    test(`Accept: ${accept} is answered in FHIR JSON`, async () => {
      const res = await fhir('GET', `${srv.base}/Patient/${pid}`, { headers: { Accept: accept } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    });
  }

  test('_pretty=true indents the JSON and _pretty=false does not', async () => {
    const pretty = await fhir('GET', `${srv.base}/Patient/${pid}?_pretty=true`);
    assert.equal(pretty.status, 200);
    assert.ok(pretty.text.includes('\n  "resourceType": "Patient"'), pretty.text.slice(0, 80));
    const plain = await fhir('GET', `${srv.base}/Patient/${pid}?_pretty=false`);
    assert.ok(!plain.text.includes('\n'));
    assert.deepEqual(pretty.body, plain.body);
  });

  test('_pretty=true also indents an error OperationOutcome', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/nobody-here?_pretty=true`);
    assert.equal(res.status, 404);
    assert.ok(res.text.includes('\n'), 'indented');
  });
});

describe('_summary and _elements on read and vread', () => {
  test('_summary=true keeps summary elements, drops the rest and marks SUBSETTED', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}?_summary=true`);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, pid);
    assert.deepEqual(res.body.name, [{ family: 'Rivera', given: ['Ana'] }]);
    assert.equal(res.body.gender, 'female');
    assert.equal(res.body.maritalStatus, undefined, 'maritalStatus is not a summary element');
    assert.equal(res.body.text, undefined);
    assert.deepEqual(res.body.meta.tag.at(-1), SUBSETTED);
    assert.ok(res.body.meta.tag.some((t: { code: string }) => t.code === 'demo'), 'existing tags are kept');
  });

  test('_summary=text keeps text, id, meta and mandatory elements only', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}?_summary=text`);
    assert.equal(res.status, 200);
    assert.ok(res.body.text?.div);
    assert.equal(res.body.name, undefined);
    assert.equal(res.body.gender, undefined);
    assert.deepEqual(res.body.meta.tag.at(-1), SUBSETTED);
  });

  test('_summary=data removes only the narrative', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}?_summary=data`);
    assert.equal(res.status, 200);
    assert.equal(res.body.text, undefined);
    assert.deepEqual(res.body.maritalStatus, { text: 'Married' });
    assert.deepEqual(res.body.meta.tag.at(-1), SUBSETTED);
  });

  test('_summary=false returns the whole resource without SUBSETTED', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}?_summary=false`);
    assert.equal(res.status, 200);
    assert.ok(res.body.text);
    assert.ok(res.body.maritalStatus);
    assert.ok(!res.body.meta.tag.some((t: { code: string }) => t.code === 'SUBSETTED'));
  });

  test('an unknown _summary mode is 400 naming the parameter', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient/${pid}?_summary=maybe`), {
      status: 400, code: 'invalid', diagnostics: '_summary', expression: '_summary',
    });
  });

  test('_elements keeps the named elements plus mandatory ones and marks SUBSETTED', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}?_elements=gender,active`);
    assert.equal(res.status, 200);
    assert.equal(res.body.resourceType, 'Patient');
    assert.equal(res.body.id, pid);
    assert.equal(res.body.gender, 'female');
    assert.equal(res.body.active, true);
    assert.equal(res.body.name, undefined);
    assert.equal(res.body.birthDate, undefined);
    assert.equal(res.body.text, undefined);
    assert.deepEqual(res.body.meta.tag.at(-1), SUBSETTED);
  });

  test('_elements on vread subsets that version', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}/_history/1?_elements=birthDate`);
    assert.equal(res.status, 200);
    assert.equal(res.body.meta.versionId, '1');
    assert.equal(res.body.birthDate, '1980-02-03');
    assert.equal(res.body.gender, undefined);
    assert.deepEqual(res.body.meta.tag.at(-1), SUBSETTED);
  });

  test('_summary=true on vread subsets that version', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${pid}/_history/1?_summary=true`);
    assert.equal(res.status, 200);
    assert.equal(res.body.meta.versionId, '1');
    assert.equal(res.body.text, undefined);
    assert.deepEqual(res.body.meta.tag.at(-1), SUBSETTED);
  });

  test('_elements on an Observation keeps its mandatory status and code', async () => {
    const id = (await fhir('POST', `${srv.base}/Observation`, { body: sample('Observation') })).body.id;
    const res = await fhir('GET', `${srv.base}/Observation/${id}?_elements=valueQuantity`);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'final');
    assert.ok(res.body.code);
    assert.equal(res.body.valueQuantity.value, 72);
    assert.deepEqual(res.body.meta.tag.at(-1), SUBSETTED);
  });

  test('a malformed _elements is 400 naming the parameter', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient/${pid}?_elements=na$me`), {
      status: 400, code: 'invalid', diagnostics: '_elements', expression: '_elements',
    });
  });
});

describe('_summary on search', () => {
  test('_summary=count answers the total with no entries', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?family=Rivera&_summary=count`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.type, 'searchset');
    const expected = (await fhir('GET', `${srv.base}/Patient?family=Rivera&_count=100`)).body.entry.length;
    assert.ok(expected >= 1);
    assert.equal(res.body.total, expected);
    assert.equal(res.body.entry, undefined);
  });

  test('_summary=true subsets every matched entry and marks it SUBSETTED', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?_id=${pid}&_summary=true`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry.length, 1);
    const r = res.body.entry[0].resource;
    assert.equal(r.id, pid);
    assert.equal(r.text, undefined);
    assert.equal(r.maritalStatus, undefined);
    assert.deepEqual(r.meta.tag.at(-1), SUBSETTED);
  });

  test('_summary=data on search drops the narrative only', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?_id=${pid}&_summary=data`);
    const r = res.body.entry[0].resource;
    assert.equal(r.text, undefined);
    assert.deepEqual(r.maritalStatus, { text: 'Married' });
  });

  test('_summary=false on search returns whole resources', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?_id=${pid}&_summary=false`);
    const r = res.body.entry[0].resource;
    assert.ok(r.text);
    assert.ok(!r.meta.tag.some((t: { code: string }) => t.code === 'SUBSETTED'));
  });

  test('_elements on search subsets every matched entry', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?_id=${pid}&_elements=birthDate`);
    const r = res.body.entry[0].resource;
    assert.equal(r.birthDate, '1980-02-03');
    assert.equal(r.name, undefined);
    assert.deepEqual(r.meta.tag.at(-1), SUBSETTED);
  });
});
