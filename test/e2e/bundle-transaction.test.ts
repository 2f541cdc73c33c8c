import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AccessEvent, Auditor } from '../../src/audit/auditor.js';
import type { AccessPolicy, InteractionContext } from '../../src/auth/policy.js';
import { fhir, startTestServer, steppingClock } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { TX_SKIP } from '../support/test-store.js';

const decisions: InteractionContext[] = [];
const audits: AccessEvent[] = [];
const policy: AccessPolicy = { decide: async (ctx) => (decisions.push(ctx), { allow: true }) };
const auditor: Auditor = { record: async (e) => void audits.push(e), recordSecurity: async () => undefined };

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ clock: steppingClock(), policy, auditor });
});
after(async () => {
  await srv.close();
});

let seq = 0;
/** A unique identifier value per call, so tests can find exactly what they wrote. */
const unique = (): string => `tx-${process.pid}-${++seq}`;
const SYS = 'http://vesta.test/id';

const tx = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });
const post = (fullUrl: string, resource: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  fullUrl, resource, request: { method: 'POST', url: resource.resourceType, ...extra },
});
const patient = (value: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', identifier: [{ system: SYS, value }], ...extra });

async function count(type: string, value: string): Promise<number> {
  const res = await fhir('GET', `${srv.base}/${type}?identifier=${encodeURIComponent(`${SYS}|${value}`)}`);
  assert.equal(res.status, 200, res.text);
  return res.body.total ?? (res.body.entry ?? []).length;
}

describe('transaction Bundles', { skip: TX_SKIP }, () => {
  test('processes DELETE, POST, PUT, GET in that order and answers in the original order', async () => {
    const v = unique();
    const doomed = await fhir('POST', `${srv.base}/Patient`, { body: patient(`${v}-old`) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        { request: { method: 'GET', url: `Patient?identifier=${SYS}|${v}` } },
        { request: { method: 'GET', url: `Patient?identifier=${SYS}|${v}-old` } },
        post('urn:uuid:a', patient(v)),
        { request: { method: 'DELETE', url: `Patient/${doomed.body.id}` } },
        { resource: patient(`${v}-put`, { id: `put-${seq}` }), request: { method: 'PUT', url: `Patient/put-${seq}` } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.type, 'transaction-response');
    const statuses = res.body.entry.map((e: { response: { status: string } }) => e.response.status);
    assert.deepEqual(statuses, ['200 OK', '200 OK', '201 Created', '200 OK', '201 Created']);
    // The searches ran after the POST and the DELETE although they come first in the Bundle.
    assert.equal(res.body.entry[0].resource.total, 1);
    assert.equal(res.body.entry[1].resource.total, 0);
    const created = res.body.entry[2];
    assert.match(created.response.location, new RegExp(`^${srv.base}/Patient/[^/]+/_history/1$`));
    assert.equal(created.fullUrl, created.response.location.replace(/\/_history\/1$/, ''));
    assert.equal(created.response.etag, 'W/"1"');
    assert.match(created.response.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(created.resource.identifier[0].value, v);
    assert.equal(res.body.entry[4].resource.id, `put-${seq}`);
  });

  test('answers entries per the Prefer return preference', async () => {
    const minimal = await fhir('POST', srv.base, { body: tx([post('urn:uuid:a', patient(unique()))]), headers: { Prefer: 'return=minimal' } });
    assert.equal(minimal.status, 200, minimal.text);
    assert.equal(minimal.body.entry[0].resource, undefined);
    assert.equal(minimal.body.entry[0].response.status, '201 Created');
    const outcome = await fhir('POST', srv.base, { body: tx([post('urn:uuid:a', patient(unique()))]), headers: { Prefer: 'return=OperationOutcome' } });
    assert.equal(outcome.body.entry[0].resource, undefined);
    assert.equal(outcome.body.entry[0].response.outcome.resourceType, 'OperationOutcome');
  });

  test('rewrites urn:uuid references everywhere in the tree, including extensions and contained resources', async () => {
    const v = unique();
    const res = await fhir('POST', srv.base, {
      body: tx([
        post('urn:uuid:obs', {
          resourceType: 'Observation', status: 'final', code: { text: 'weight' },
          subject: { reference: 'urn:uuid:pat' },
          extension: [{ url: 'http://vesta.test/ext', valueReference: { reference: 'urn:uuid:pat' } }],
          contained: [{ resourceType: 'Provenance', id: 'p1', recorded: '2024-01-01T00:00:00Z', target: [{ reference: 'urn:uuid:pat' }], agent: [{ who: { reference: 'urn:oid:1.2.3' } }] }],
          performer: [{ reference: '#p1' }],
        }),
        post('urn:uuid:pat', patient(v)),
        post('urn:oid:1.2.3', { resourceType: 'Practitioner', name: [{ family: 'Who' }] }),
      ]),
    });
    assert.equal(res.status, 200, res.text);
    const patientId = res.body.entry[1].resource.id;
    const practitionerId = res.body.entry[2].resource.id;
    const obs = (await fhir('GET', res.body.entry[0].response.location.replace(/\/_history\/1$/, ''))).body;
    assert.equal(obs.subject.reference, `Patient/${patientId}`);
    assert.equal(obs.extension[0].valueReference.reference, `Patient/${patientId}`);
    assert.equal(obs.contained[0].target[0].reference, `Patient/${patientId}`);
    assert.equal(obs.contained[0].agent[0].who.reference, `Practitioner/${practitionerId}`);
    assert.equal(obs.performer[0].reference, '#p1');
  });

  test('keeps the id of a PUT entry and lets other entries refer to its fullUrl', async () => {
    const id = `keep-${unique()}`;
    const res = await fhir('POST', srv.base, {
      body: tx([
        { fullUrl: 'urn:uuid:put', resource: patient(id, { id }), request: { method: 'PUT', url: `Patient/${id}` } },
        post('urn:uuid:o', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:put' } }),
      ]),
      headers: { Prefer: 'return=representation' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].response.location, `${srv.base}/Patient/${id}/_history/1`);
    assert.equal(res.body.entry[1].resource.subject.reference, `Patient/${id}`);
  });

  test('finds the existing resource for a conditional create and points references at it', async () => {
    const v = unique();
    const first = await fhir('POST', `${srv.base}/Patient`, { body: patient(v) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        post('urn:uuid:p', patient(v), { ifNoneExist: `identifier=${SYS}|${v}` }),
        post('urn:uuid:o', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:p' } }),
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].response.status, '200 OK');
    assert.equal(res.body.entry[0].resource.id, first.body.id);
    assert.equal(res.body.entry[1].resource.subject.reference, `Patient/${first.body.id}`);
    assert.equal(await count('Patient', v), 1);
  });

  test('resolves conditional references by search and refuses ambiguous ones with 412', async () => {
    const v = unique();
    const p = await fhir('POST', `${srv.base}/Patient`, { body: patient(v) });
    const ok = await fhir('POST', srv.base, {
      body: tx([post('urn:uuid:o', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=${SYS}|${v}` } })]),
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.entry[0].resource.subject.reference, `Patient/${p.body.id}`);
    await fhir('POST', `${srv.base}/Patient`, { body: patient(v) });
    const twice = await fhir('POST', srv.base, {
      body: tx([post('urn:uuid:o', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=${SYS}|${v}` } })]),
    });
    assert.equal(twice.status, 412, twice.text);
    assert.deepEqual(twice.body.issue[0].expression, ['Bundle.entry[0].resource.subject.reference']);
    const none = await fhir('POST', srv.base, {
      body: tx([post('urn:uuid:o', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=${SYS}|${v}-none` } })]),
    });
    assert.equal(none.status, 404, none.text);
  });

  test('applies conditional update and conditional delete entries by their search URL', async () => {
    const v = unique();
    const p = await fhir('POST', `${srv.base}/Patient`, { body: patient(v) });
    const gone = await fhir('POST', `${srv.base}/Patient`, { body: patient(`${v}-del`) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        { resource: patient(v, { active: true }), request: { method: 'PUT', url: `Patient?identifier=${SYS}|${v}` } },
        { request: { method: 'DELETE', url: `Patient?identifier=${SYS}|${v}-del` } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].response.status, '200 OK');
    assert.equal(res.body.entry[0].resource.id, p.body.id);
    assert.equal(res.body.entry[0].resource.active, true);
    assert.equal((await fhir('GET', `${srv.base}/Patient/${gone.body.id}`)).status, 410);
  });

  test('honours ifMatch, ifNoneMatch and ifModifiedSince on entries', async () => {
    const p = await fhir('POST', `${srv.base}/Patient`, { body: patient(unique()) });
    const url = `Patient/${p.body.id}`;
    const stale = await fhir('POST', srv.base, {
      body: tx([{ resource: { ...p.body, active: true }, request: { method: 'PUT', url, ifMatch: 'W/"7"' } }]),
    });
    assert.equal(stale.status, 412, stale.text);
    assert.deepEqual(stale.body.issue[0].expression.slice(0, 1), ['Bundle.entry[0]']);
    const res = await fhir('POST', srv.base, {
      body: tx([
        { request: { method: 'GET', url, ifNoneMatch: 'W/"1"' } },
        { request: { method: 'GET', url, ifModifiedSince: 'Sun, 31 Dec 2023 00:00:00 GMT' } },
        { resource: { ...p.body, active: true }, request: { method: 'PUT', url, ifMatch: 'W/"1"' } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    // GETs run after the PUT, so version 2 is current: If-None-Match W/"1" no longer matches.
    assert.deepEqual(res.body.entry.map((e: { response: { status: string } }) => e.response.status), ['200 OK', '200 OK', '200 OK']);
    const later = await fhir('POST', srv.base, {
      body: tx([{ request: { method: 'GET', url, ifNoneMatch: 'W/"2"' } }, { request: { method: 'GET', url, ifModifiedSince: 'Fri, 01 Jan 2100 00:00:00 GMT' } }]),
    });
    assert.deepEqual(later.body.entry.map((e: { response: { status: string } }) => e.response.status), ['304 Not Modified', '304 Not Modified']);
  });

  test('leaves no trace when one entry is invalid', async () => {
    const v = unique();
    const res = await fhir('POST', srv.base, {
      body: tx([
        post('urn:uuid:a', patient(v)),
        { fullUrl: 'urn:uuid:b', resource: patient(`${v}-b`, { id: `b-${seq}` }), request: { method: 'PUT', url: `Patient/b-${seq}` } },
        post('urn:uuid:c', patient(`${v}-c`, { birthDate: 'not a date' })),
      ]),
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.ok(res.body.issue.some((i: { expression?: string[] }) => i.expression?.some((x) => x.startsWith('Bundle.entry[2]'))), res.text);
    assert.equal(await count('Patient', v), 0);
    assert.equal((await fhir('GET', `${srv.base}/Patient/b-${seq}`)).status, 404);
  });

  test('rolls back earlier entries when a later one fails at write time', async () => {
    const v = unique();
    const p = await fhir('POST', `${srv.base}/Patient`, { body: patient(v) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        post('urn:uuid:a', patient(`${v}-new`)),
        { resource: { ...p.body, active: true }, request: { method: 'PUT', url: `Patient/${p.body.id}` } },
        { resource: { ...p.body, active: false }, request: { method: 'PUT', url: `Patient/${p.body.id}`, ifMatch: 'W/"1"' } },
      ]),
    });
    assert.equal(res.status, 412, res.text);
    assert.ok(res.body.issue[0].expression.includes('Bundle.entry[2]'), res.text);
    assert.equal(await count('Patient', `${v}-new`), 0);
    const history = await fhir('GET', `${srv.base}/Patient/${p.body.id}/_history`);
    assert.equal(history.body.entry.length, 1);
  });

  test('calls the access-decision and audit hooks once per entry plus once for the Bundle', async () => {
    decisions.length = 0;
    audits.length = 0;
    const res = await fhir('POST', srv.base, {
      body: tx([post('urn:uuid:a', patient(unique())), post('urn:uuid:b', patient(unique())), { request: { method: 'GET', url: 'Patient?_count=1' } }]),
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(decisions.map((d) => d.interaction).sort(), ['create', 'create', 'search-type', 'transaction']);
    assert.deepEqual(audits.map((a) => `${a.context.interaction}:${a.status}`).sort(), ['create:201', 'create:201', 'search-type:200', 'transaction:200']);
  });

  test('labels the Bundle-level hook calls of a batch as batch', async () => {
    decisions.length = 0;
    audits.length = 0;
    const res = await fhir('POST', srv.base, {
      body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: patient(unique()), request: { method: 'POST', url: 'Patient' } }] },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(decisions.map((d) => d.interaction).sort(), ['batch', 'create']);
    assert.deepEqual(audits.map((a) => `${a.context.interaction}:${a.status}`).sort(), ['batch:200', 'create:201']);
  });

  test('records the entries of a rolled-back transaction as failed in the audit trail', async () => {
    audits.length = 0;
    const res = await fhir('POST', srv.base, {
      body: tx([post('urn:uuid:a', patient(unique())), { request: { method: 'DELETE', url: 'Patient/x', ifMatch: 'W/"3"' } }]),
    });
    assert.equal(res.status, 412, res.text);
    assert.deepEqual(audits.map((a) => `${a.context.interaction}:${a.status}`).sort(), ['delete:412', 'transaction:412']);
  });
});
