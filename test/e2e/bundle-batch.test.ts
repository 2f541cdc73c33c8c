import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer, steppingClock } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { TX_SKIP } from '../support/test-store.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ clock: steppingClock(), env: { VESTA_MAX_BUNDLE_ENTRIES: '5' } });
});
after(async () => {
  await srv.close();
});

let seq = 0;
const unique = (): string => `batch-${process.pid}-${++seq}`;
const SYS = 'http://vesta.test/id';
const patient = (value: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', identifier: [{ system: SYS, value }], ...extra });
const bundle = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const statuses = (body: { entry: { response: { status: string } }[] }): string[] => body.entry.map((e) => e.response.status);

describe('batch Bundles', () => {
  test('applies each entry independently and reports failures per entry with an OperationOutcome', async () => {
    const v = unique();
    const res = await fhir('POST', srv.base, {
      body: bundle('batch', [
        { resource: patient(v), request: { method: 'POST', url: 'Patient' } },
        { resource: patient(`${v}-bad`, { birthDate: 'yesterday' }), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
        { request: { method: 'GET', url: `Patient?identifier=${SYS}|${v}` } },
        { resource: patient(`${v}-put`, { id: `bp-${seq}` }), request: { method: 'PUT', url: `Patient/bp-${seq}` } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.type, 'batch-response');
    assert.deepEqual(statuses(res.body), ['201 Created', '400 Bad Request', '404 Not Found', '200 OK', '201 Created']);
    const bad = res.body.entry[1].response.outcome;
    assert.equal(bad.resourceType, 'OperationOutcome');
    assert.ok(bad.issue.every((i: { expression: string[] }) => i.expression.some((x) => x.startsWith('Bundle.entry[1]'))), JSON.stringify(bad));
    assert.ok(res.body.entry[2].response.outcome.issue[0].expression.includes('Bundle.entry[2]'));
    // Batch entries run in Bundle order, so the search already sees the first entry's create.
    assert.equal(res.body.entry[3].resource.total, 1);
    assert.equal((await fhir('GET', `${srv.base}/Patient/bp-${seq}`)).status, 200);
  });

  test('refuses an entry that refers to another entry of the batch, and only that entry', async () => {
    const v = unique();
    const res = await fhir('POST', srv.base, {
      body: bundle('batch', [
        { fullUrl: 'urn:uuid:p', resource: patient(v), request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:p' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(statuses(res.body), ['201 Created', '400 Bad Request']);
    assert.deepEqual(res.body.entry[1].response.outcome.issue[0].expression, ['Bundle.entry[1].resource.subject.reference']);
  });

  test('resolves conditional references in batch entries', async () => {
    const v = unique();
    const p = await fhir('POST', `${srv.base}/Patient`, { body: patient(v) });
    const res = await fhir('POST', srv.base, {
      body: bundle('batch', [
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=${SYS}|${v}` } }, request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=${SYS}|${v}-nobody` } }, request: { method: 'POST', url: 'Observation' } },
      ]),
    });
    assert.deepEqual(statuses(res.body), ['201 Created', '404 Not Found']);
    assert.equal(res.body.entry[0].resource.subject.reference, `Patient/${p.body.id}`);
  });
});

describe('Bundle errors', () => {
  test('refuses a Bundle that is neither batch nor transaction', async () => {
    const res = await fhir('POST', srv.base, { body: bundle('collection', []) });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body.issue[0].expression, ['Bundle.type']);
  });

  test('refuses a body that is not a Bundle', async () => {
    const res = await fhir('POST', srv.base, { body: patient('x') });
    assert.equal(res.status, 400, res.text);
  });

  test('names the entry without a request', { skip: TX_SKIP }, async () => {
    const res = await fhir('POST', srv.base, { body: bundle('transaction', [{ resource: patient('x') }]) });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body.issue[0].expression, ['Bundle.entry[0].request']);
  });

  test('names the entry with an unsupported method', { skip: TX_SKIP }, async () => {
    const res = await fhir('POST', srv.base, {
      body: bundle('transaction', [{ resource: patient('x'), request: { method: 'POST', url: 'Patient' } }, { request: { method: 'TRACE', url: 'Patient' } }]),
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.issue[0].code, 'not-supported');
    assert.deepEqual(res.body.issue[0].expression, ['Bundle.entry[1].request.method']);
  });

  test('refuses duplicate fullUrls', { skip: TX_SKIP }, async () => {
    const v = unique();
    const res = await fhir('POST', srv.base, {
      body: bundle('transaction', [
        { fullUrl: 'urn:uuid:same', resource: patient(v), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:same', resource: patient(v), request: { method: 'POST', url: 'Patient' } },
      ]),
    });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body.issue[0].expression, ['Bundle.entry[1].fullUrl']);
    const search = await fhir('GET', `${srv.base}/Patient?identifier=${SYS}|${v}`);
    assert.equal(search.body.total, 0);
  });

  test('refuses a reference to a placeholder no entry declares', { skip: TX_SKIP }, async () => {
    const res = await fhir('POST', srv.base, {
      body: bundle('transaction', [
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:nowhere' } }, request: { method: 'POST', url: 'Observation' } },
      ]),
    });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body.issue[0].expression, ['Bundle.entry[0].resource.subject.reference']);
  });

  test('refuses a transaction larger than the configured entry limit before doing anything', async () => {
    const v = unique();
    const entries = Array.from({ length: 6 }, () => ({ resource: patient(v), request: { method: 'POST', url: 'Patient' } }));
    const res = await fhir('POST', srv.base, { body: bundle('transaction', entries) });
    assert.equal(res.status, 413, res.text);
    assert.match(res.body.issue[0].diagnostics, /at most 5/);
    const search = await fhir('GET', `${srv.base}/Patient?identifier=${SYS}|${v}`);
    assert.equal(search.body.total, 0);
  });

  test('refuses a Bundle nested as an entry', async () => {
    const res = await fhir('POST', srv.base, {
      body: bundle('batch', [{ resource: bundle('transaction', []), request: { method: 'POST', url: '/' } }]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].response.status, '400 Bad Request');
  });

  test('lists both batch and transaction in the CapabilityStatement', { skip: TX_SKIP }, async () => {
    const res = await fhir('GET', `${srv.base}/metadata`);
    const codes = res.body.rest[0].interaction.map((i: { code: string }) => i.code);
    assert.ok(codes.includes('batch') && codes.includes('transaction'), codes.join(','));
  });
});
