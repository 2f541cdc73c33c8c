import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FhirError, badRequest } from '../../src/fhir/outcome.js';
import { atEntry, planBundle, processingOrder } from '../../src/services/bundle-plan.js';

const BASE = 'http://h/fhir';
const plan = (entry: unknown[], type = 'transaction', maxEntries = 100) =>
  planBundle({ resourceType: 'Bundle', type, entry }, { baseUrl: BASE, maxEntries });

describe('planBundle', () => {
  test('splits entry URLs, strips this server\'s base and keeps conditions', () => {
    const p = plan([
      { request: { method: 'GET', url: `${BASE}/Patient/1` } },
      { request: { method: 'DELETE', url: 'Patient?identifier=a|b', ifMatch: 'W/"2"' } },
    ]);
    assert.equal(p.kind, 'transaction');
    assert.equal(p.entries[0].path, 'Patient/1');
    assert.deepEqual(p.entries[1].query, [['identifier', 'a|b']]);
    assert.equal(p.entries[1].conditions.ifMatch, 'W/"2"');
  });

  test('keeps entry problems on the entry with its location', () => {
    const p = plan([{}, { request: { method: 'POST', url: 'Patient' } }, { request: { method: 'GET', url: 'http://elsewhere/Patient/1' } }]);
    assert.deepEqual(p.entries.map((e) => e.problem?.outcome.issue[0].expression), [
      ['Bundle.entry[0].request'], ['Bundle.entry[1].resource'], ['Bundle.entry[2].request.url'],
    ]);
  });

  test('decodes the JSON Patch of a PATCH entry from its Binary', () => {
    const data = Buffer.from(JSON.stringify([{ op: 'replace', path: '/active', value: true }])).toString('base64');
    const p = plan([{ resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data }, request: { method: 'PATCH', url: 'Patient/1' } }]);
    assert.deepEqual(p.entries[0].body, [{ op: 'replace', path: '/active', value: true }]);
  });

  test('throws for a wrong Bundle type and for too many entries', () => {
    assert.throws(() => plan([], 'searchset'), (e: unknown) => e instanceof FhirError && e.status === 400);
    assert.throws(() => plan([{}, {}], 'batch', 1), (e: unknown) => e instanceof FhirError && e.status === 413);
  });
});

describe('processingOrder', () => {
  test('orders DELETE, POST, PUT and PATCH, then GET, keeping Bundle order within each', () => {
    const p = plan(['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'POST', 'HEAD'].map((method) => ({ request: { method, url: 'Patient/1' } })));
    assert.deepEqual(processingOrder(p.entries), [3, 2, 5, 1, 4, 0, 6]);
  });
});

describe('atEntry', () => {
  test('moves resource expressions under the entry and adds the entry to the others', () => {
    const e = atEntry(badRequest('bad', ['Patient.birthDate']), 3, 'Patient');
    assert.deepEqual(e.outcome.issue[0].expression, ['Bundle.entry[3].resource.birthDate']);
    assert.equal(e.status, 400);
    assert.deepEqual(atEntry(badRequest('bad'), 2).outcome.issue[0].expression, ['Bundle.entry[2]']);
  });
});
