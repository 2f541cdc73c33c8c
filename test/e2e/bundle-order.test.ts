import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { TX_SKIP } from '../support/test-store.js';

/**
 * Transaction processing order for conditional entries (FHIR R4 http.html#trules): DELETE, then POST, then
 * PUT/PATCH, then GET, each entry's conditions evaluated against the state the entries before it left; and side
 * effects of a transaction (SearchParameter activation) only once it has committed.
 */

const SYS = 'http://order.example.org/mrn';
let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

let serial = 0;
const mrn = (): string => `order-${process.pid}-${++serial}`;
const criteria = (value: string): string => `identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
const patient = (value: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', identifier: [{ system: SYS, value }], ...extra });
const tx = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });

async function idsWith(value: string): Promise<string[]> {
  const res = await fhir('GET', `${srv.base}/Patient?${criteria(value)}`);
  return ((res.body.entry ?? []) as { resource: { id: string } }[]).map((e) => e.resource.id);
}

describe('conditions are evaluated at each entry\'s turn', { skip: TX_SKIP }, () => {
  test('a transaction that deletes a resource and conditionally creates one matching it creates a new one', async () => {
    const value = mrn();
    const old = await fhir('POST', `${srv.base}/Patient`, { body: patient(value) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        { resource: patient(value, { active: true }), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(value) } },
        { request: { method: 'DELETE', url: `Patient/${old.body.id}` } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].response.status, '201 Created');
    assert.notEqual(res.body.entry[0].resource.id, old.body.id);
    assert.equal((await fhir('GET', `${srv.base}/Patient/${old.body.id}`)).status, 410);
    assert.deepEqual(await idsWith(value), [res.body.entry[0].resource.id]);
  });

  test('a conditional update after a delete of its match in the same transaction creates', async () => {
    const value = mrn();
    const old = await fhir('POST', `${srv.base}/Patient`, { body: patient(value) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        { resource: patient(value, { active: true }), request: { method: 'PUT', url: `Patient?${criteria(value)}` } },
        { request: { method: 'DELETE', url: `Patient?${criteria(value)}` } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[1].response.status, '200 OK');
    assert.equal(res.body.entry[0].response.status, '201 Created');
    assert.notEqual(res.body.entry[0].resource.id, old.body.id);
  });

  test('a conditional create sees a resource an earlier POST of the same transaction created', async () => {
    const value = mrn();
    const res = await fhir('POST', srv.base, {
      body: tx([
        { fullUrl: 'urn:uuid:first', resource: patient(value), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:second', resource: patient(value), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(value) } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[1].response.status, '200 OK');
    assert.equal(res.body.entry[1].resource.id, res.body.entry[0].resource.id);
    assert.equal((await idsWith(value)).length, 1);
  });

  test('an entry that refers to a later conditional create gets the resource that create matched', async () => {
    const value = mrn();
    const existing = await fhir('POST', `${srv.base}/Patient`, { body: patient(value) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        {
          fullUrl: 'urn:uuid:obs', request: { method: 'POST', url: 'Observation' },
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:pat' } },
        },
        { fullUrl: 'urn:uuid:pat', resource: patient(value), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(value) } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].resource.subject.reference, `Patient/${existing.body.id}`);
    assert.equal(res.body.entry[1].response.status, '200 OK');
    assert.equal(res.body.entry[1].resource.id, existing.body.id);
  });

  test('an entry that refers to a later conditional create without a match gets the resource it creates', async () => {
    const value = mrn();
    const res = await fhir('POST', srv.base, {
      body: tx([
        {
          fullUrl: 'urn:uuid:obs', request: { method: 'POST', url: 'Observation' },
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:pat' } },
        },
        { fullUrl: 'urn:uuid:pat', resource: patient(value), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(value) } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[1].response.status, '201 Created');
    assert.equal(res.body.entry[0].resource.subject.reference, `Patient/${res.body.entry[1].resource.id}`);
    assert.deepEqual(await idsWith(value), [res.body.entry[1].resource.id]);
  });

  test('an entry that refers to a later conditional update gets the resource it updates', async () => {
    const value = mrn();
    const existing = await fhir('POST', `${srv.base}/Patient`, { body: patient(value) });
    const res = await fhir('POST', srv.base, {
      body: tx([
        {
          fullUrl: 'urn:uuid:obs', request: { method: 'POST', url: 'Observation' },
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:pat' } },
        },
        { fullUrl: 'urn:uuid:pat', resource: patient(value, { active: true }), request: { method: 'PUT', url: `Patient?${criteria(value)}` } },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].resource.subject.reference, `Patient/${existing.body.id}`);
    assert.equal(res.body.entry[1].resource.id, existing.body.id);
    assert.equal(res.body.entry[1].resource.meta.versionId, '2');
  });
});

describe('conditional entries that depend on each other', { skip: TX_SKIP }, () => {
  test('two conditional creates whose criteria name each other\'s fullUrl are refused with 400, and nothing is written', async () => {
    const value = mrn();
    const res = await fhir('POST', srv.base, {
      body: tx([
        { fullUrl: 'urn:uuid:a', resource: patient(value), request: { method: 'POST', url: 'Patient', ifNoneExist: 'link=urn:uuid:b' } },
        { fullUrl: 'urn:uuid:b', resource: patient(value), request: { method: 'POST', url: 'Patient', ifNoneExist: 'link=urn:uuid:a' } },
      ]),
    });
    assert.equal(res.status, 400, res.text);
    assert.match(res.body.issue[0].diagnostics, /circle/);
    assert.deepEqual(await idsWith(value), []);
  });

  test('a conditional create\'s criteria may name the fullUrl of a plain create, rewritten to its id', async () => {
    const value = mrn();
    const res = await fhir('POST', srv.base, {
      body: tx([
        { fullUrl: 'urn:uuid:mother', resource: patient(`${value}-m`), request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: 'urn:uuid:child', request: { method: 'POST', url: 'Patient', ifNoneExist: 'link=urn:uuid:mother' },
          resource: patient(value, { link: [{ other: { reference: 'urn:uuid:mother' }, type: 'seealso' }] }),
        },
      ]),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[1].response.status, '201 Created');
    assert.equal(res.body.entry[1].resource.link[0].other.reference, `Patient/${res.body.entry[0].resource.id}`);
  });
});

describe('side effects wait for the commit', { skip: TX_SKIP }, () => {
  const searchParameter = (code: string) => ({
    resourceType: 'SearchParameter', url: `http://order.example.org/SearchParameter/${code}`, name: code, status: 'active',
    description: 'test', code, base: ['Patient'], type: 'token', expression: 'Patient.gender',
  });
  const strict = { Prefer: 'handling=strict' };

  test('a SearchParameter created in a transaction that rolls back is not registered', async () => {
    const code = `rolledback${process.pid}`;
    const res = await fhir('POST', srv.base, {
      body: tx([
        { resource: searchParameter(code), request: { method: 'POST', url: 'SearchParameter' } },
        { request: { method: 'DELETE', url: 'Patient/nobody', ifMatch: 'W/"9"' } },
      ]),
    });
    assert.equal(res.status, 412, res.text);
    const search = await fhir('GET', `${srv.base}/Patient?${code}=male`, { headers: strict });
    assert.equal(search.status, 400, search.text);
  });

  test('a SearchParameter created in a transaction that commits is searchable at once', async () => {
    const code = `committed${process.pid}`;
    const res = await fhir('POST', srv.base, { body: tx([{ resource: searchParameter(code), request: { method: 'POST', url: 'SearchParameter' } }]) });
    assert.equal(res.status, 200, res.text);
    const search = await fhir('GET', `${srv.base}/Patient?${code}=male`, { headers: strict });
    assert.equal(search.status, 200, search.text);
  });
});
