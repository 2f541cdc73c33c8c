import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { sample } from '../support/e2e-resources.js';
import { RecordingAuditor, RecordingPolicy } from '../support/recording-hooks.js';
import { FhirError } from '../../src/fhir/outcome.js';
import { INTERACTIONS } from '../../src/interactions/table.js';
import type { InteractionSpec } from '../../src/interactions/deps.js';
import { TX_SKIP } from '../support/test-store.js';

/**
 * What the access-decision and audit hooks are given (DESIGN principles 2 and 8): the permission letters of the
 * interaction table row, the caller's network address and user agent, the query of searches, and the resources
 * each interaction returned or wrote, including every entry of a Bundle.
 */

const policy = new RecordingPolicy();
const auditor = new RecordingAuditor();
let srv: TestServer;
let pid = '';

before(async () => {
  srv = await startTestServer({ policy, auditor });
  pid = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient', { identifier: [{ system: 'urn:ctx', value: 'p1' }] }) })).body.id;
});
after(async () => {
  await srv.close();
});
beforeEach(() => {
  policy.clear();
  auditor.clear();
});

const json = { 'Content-Type': 'application/fhir+json' };

describe('the access decision sees the permission letters of the table row', () => {
  const cases: [string, () => Promise<unknown>, string[], boolean?][] = [
    ['read', () => fhir('GET', `${srv.base}/Patient/${pid}`), ['r']],
    ['vread', () => fhir('GET', `${srv.base}/Patient/${pid}/_history/1`), ['r']],
    ['history-instance', () => fhir('GET', `${srv.base}/Patient/${pid}/_history`), ['r']],
    ['history-type', () => fhir('GET', `${srv.base}/Patient/_history`), ['s']],
    ['search-type', () => fhir('GET', `${srv.base}/Patient?gender=female`), ['s']],
    ['create', () => fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') }), ['c']],
    ['create (If-None-Exist)', () => fhir('POST', `${srv.base}/Patient`, { headers: { ...json, 'If-None-Exist': 'identifier=urn:ctx|p1' }, body: sample('Patient') }), ['c', 's']],
    ['update', () => fhir('PUT', `${srv.base}/Patient/${pid}`, { body: sample('Patient', { id: pid, identifier: [{ system: 'urn:ctx', value: 'p1' }] }) }), ['u']],
    ['conditional update', () => fhir('PUT', `${srv.base}/Patient?identifier=urn:ctx|p1`, { body: sample('Patient', { identifier: [{ system: 'urn:ctx', value: 'p1' }] }) }), ['u', 's']],
    ['patch', () => fhir('PATCH', `${srv.base}/Patient/${pid}`, { headers: { 'Content-Type': 'application/json-patch+json' }, body: [{ op: 'replace', path: '/gender', value: 'female' }] }), ['u']],
    ['conditional delete', () => fhir('DELETE', `${srv.base}/Patient?identifier=urn:ctx|none`), ['d', 's']],
    ['$validate', () => fhir('POST', `${srv.base}/Patient/$validate`, { body: sample('Patient') }), ['r']],
    ['$reindex', () => fhir('POST', `${srv.base}/Substance/$reindex`), ['u'], true],
    ['capabilities', () => fhir('GET', `${srv.base}/metadata`), []],
  ];
  for (const [name, send, letters, admin] of cases) {
    test(`${name} needs ${letters.join('') || 'no letter'}${admin ? ' and a system grant' : ''}`, async () => {
      await send();
      assert.equal(policy.calls.length, 1);
      assert.deepEqual([...policy.calls[0]!.permissions], letters);
      assert.equal(policy.calls[0]!.admin === true, admin === true);
    });
  }

  test('a batch needs no letter itself; each entry is decided under its own row', async () => {
    const res = await fhir('POST', srv.base, {
      body: {
        resourceType: 'Bundle', type: 'batch', entry: [
          { request: { method: 'GET', url: `Patient/${pid}` } },
          { resource: sample('Substance'), request: { method: 'POST', url: 'Substance' } },
          { request: { method: 'DELETE', url: 'Substance?code=none-such' } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(policy.calls.map((c) => `${c.interaction}:${c.permissions.join('')}`), ['batch:', 'read:r', 'create:c', 'delete:ds']);
  });
});

describe('the audit hook gets the inputs of an AuditEvent', () => {
  test('the client\'s network address and user agent', async () => {
    await fhir('GET', `${srv.base}/Patient/${pid}`, { headers: { 'User-Agent': 'ctx-test/1.0' } });
    const ev = auditor.events[0]!;
    assert.match(ev.context.client.address ?? '', /127\.0\.0\.1/);
    assert.equal(ev.context.client.userAgent, 'ctx-test/1.0');
  });

  test('a read carries the resource, its version and the patient compartment it belongs to', async () => {
    const obs = await fhir('POST', `${srv.base}/Observation`, { body: sample('Observation', { subject: { reference: `Patient/${pid}` } }) });
    auditor.clear();
    await fhir('GET', `${srv.base}/Observation/${obs.body.id}`);
    const [t] = auditor.events[0]!.touched;
    assert.deepEqual({ type: t!.resourceType, id: t!.id, version: t!.versionId, patients: t!.patients }, {
      type: 'Observation', id: obs.body.id, version: '1', patients: [pid],
    });
  });

  test('a search carries its query and every resource it returned, included ones too', async () => {
    const res = await fhir('GET', `${srv.base}/Observation?subject=Patient/${pid}&_include=Observation:subject`);
    assert.equal(res.status, 200, res.text);
    const ev = auditor.events[0]!;
    assert.deepEqual(ev.query, [['subject', `Patient/${pid}`], ['_include', 'Observation:subject']]);
    const returned = (res.body.entry as { resource: { resourceType: string; id: string } }[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    assert.deepEqual(ev.touched.map((t) => `${t.resourceType}/${t.id}`), returned);
    assert.ok(returned.includes(`Patient/${pid}`));
  });

  test('a POST _search carries the form parameters as its query', async () => {
    await fhir('POST', `${srv.base}/Patient/_search`, { body: 'gender=female', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual(auditor.events[0]!.query, [['gender', 'female']]);
  });

  test('a delete carries the deleted resource and the patient it belonged to', async () => {
    const obs = await fhir('POST', `${srv.base}/Observation`, { body: sample('Observation', { subject: { reference: `Patient/${pid}` } }) });
    auditor.clear();
    await fhir('DELETE', `${srv.base}/Observation/${obs.body.id}`);
    const [t] = auditor.events[0]!.touched;
    assert.deepEqual({ id: t!.id, version: t!.versionId, patients: t!.patients }, { id: obs.body.id, version: '2', patients: [pid] });
  });

  test('each transaction entry carries what it wrote', { skip: TX_SKIP }, async () => {
    const res = await fhir('POST', srv.base, {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [
          { fullUrl: 'urn:uuid:p', resource: sample('Patient'), request: { method: 'POST', url: 'Patient' } },
          { resource: sample('Observation', { subject: { reference: 'urn:uuid:p' } }), request: { method: 'POST', url: 'Observation' } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    const created = auditor.events.filter((e) => e.context.interaction === 'create');
    const newPatient = res.body.entry[0].resource.id as string;
    assert.deepEqual(created.map((e) => e.touched.map((t) => `${t.resourceType}:${t.patients.join(',')}`)).sort(), [
      [`Observation:${newPatient}`], [`Patient:${newPatient}`],
    ]);
  });
});

describe('Bundle entries run under the injected interaction table', () => {
  let custom: TestServer;
  before(async () => {
    const table: InteractionSpec[] = INTERACTIONS.map((row) => (row.name === 'create'
      ? { ...row, handle: async () => { throw new FhirError(422, [{ severity: 'error', code: 'business-rule', diagnostics: 'custom create row' }]); } }
      : row));
    custom = await startTestServer({ table });
  });
  after(async () => {
    await custom.close();
  });

  test('a batch entry uses the table the app was built with, not the default one', async () => {
    const res = await fhir('POST', custom.base, {
      body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: sample('Substance'), request: { method: 'POST', url: 'Substance' } }] },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].response.status, '422 Unprocessable Entity');
    assert.equal(res.body.entry[0].response.outcome.issue[0].diagnostics, 'custom create row');
  });
});
