import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIndexer } from '../../../src/search/extract.js';
import { parseSearch } from '../../../src/search/parse.js';
import { matches, memoryMatchContext, rangeMatches, type MatchResource } from '../../../src/search/match.js';
import { patientCompartmentClause, compartmentParams } from '../../../src/search/compartment.js';
import { printClause } from '../../../src/search/print.js';
import { BASE, example, testRegistry } from './fixtures.js';
import { ALL_SEARCH_FEATURES } from '../../support/search-capabilities.js';

const indexer = createIndexer(testRegistry(), { baseUrl: BASE });
const opts = { baseUrl: BASE, strict: true, defaultCount: 20, maxCount: 100, now: Date.parse('2025-01-01T00:00:00Z'), capabilities: ALL_SEARCH_FEATURES };

const patient = example('Patient-example.json') as MatchResource;
const weight = example('Observation-example.json') as MatchResource;
const bp = example('Observation-blood-pressure.json') as MatchResource;
const org = { resourceType: 'Organization', id: 'org-ann', name: 'Gastroenterology' } as MatchResource;
const ann = { resourceType: 'Patient', id: 'ann', name: [{ given: ['Änn'], family: 'Ölsen' }], managingOrganization: { reference: 'Organization/org-ann' } } as MatchResource;
const period = { resourceType: 'Observation', id: 'p', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/ann' }, effectivePeriod: { start: '2021-06-01' } } as MatchResource;
const all = [patient, weight, bp, org, ann, period];
const ctx = memoryMatchContext(indexer, all);

/** The ids of `type` resources matching the query, via the same parser the server uses. */
function ids(type: string, query: [string, string][]): string[] {
  const where = parseSearch(testRegistry(), [type], query, opts).where;
  assert.ok(where);
  return all.filter((r) => r.resourceType === type && matches(where, r, ctx)).map((r) => r.id ?? '').sort();
}

test('birthdate=1974 matches a patient born on 1974-12-25', () => {
  assert.deepEqual(ids('Patient', [['birthdate', '1974']]), ['example']);
  assert.deepEqual(ids('Patient', [['birthdate', '1975']]), []);
  assert.deepEqual(ids('Patient', [['birthdate', 'lt1974-12-26']]), ['example']);
});

test('date prefixes compare ranges, and a period open at its end is after any start', () => {
  assert.deepEqual(ids('Observation', [['date', 'ge2020-01-01']]), ['p']);
  assert.deepEqual(ids('Observation', [['date', 'gt2030-01-01']]), ['p']);
  assert.deepEqual(ids('Observation', [['date', 'lt2021-01-01']]), ['blood-pressure', 'example']);
  assert.deepEqual(ids('Observation', [['date', 'sa2021-01-01']]), ['p']);
  assert.deepEqual(ids('Observation', [['date', 'eb2021-01-01']]), ['blood-pressure', 'example']);
});

test('name=ann matches Änn and string modes behave as specified', () => {
  assert.deepEqual(ids('Patient', [['name', 'ann']]), ['ann']);
  assert.deepEqual(ids('Patient', [['family', 'OLS']]), ['ann']);
  assert.deepEqual(ids('Patient', [['family:exact', 'Ölsen']]), ['ann']);
  assert.deepEqual(ids('Patient', [['family:exact', 'olsen']]), []);
  assert.deepEqual(ids('Patient', [['family:contains', 'lse']]), ['ann']);
});

test('a system-only token matches any code in that system', () => {
  assert.deepEqual(ids('Observation', [['code', 'http://loinc.org|']]), ['blood-pressure', 'example']);
  assert.deepEqual(ids('Observation', [['code', 'http://loinc.org|29463-7']]), ['example']);
  assert.deepEqual(ids('Observation', [['code', '|29463-7']]), []);
  assert.deepEqual(ids('Observation', [['code:not', 'http://loinc.org|29463-7']]), ['blood-pressure', 'p']);
  assert.deepEqual(ids('Observation', [['code:text', 'body']]), ['example']);
});

test('quantities compare with precision, system, code and unit', () => {
  assert.deepEqual(ids('Observation', [['value-quantity', '185']]), ['example']);
  assert.deepEqual(ids('Observation', [['value-quantity', '185|http://unitsofmeasure.org|[lb_av]']]), ['example']);
  assert.deepEqual(ids('Observation', [['value-quantity', '185||lbs']]), ['example']);
  assert.deepEqual(ids('Observation', [['value-quantity', '185|http://unitsofmeasure.org|kg']]), []);
  assert.deepEqual(ids('Observation', [['value-quantity', 'gt180']]), ['example']);
  assert.deepEqual(ids('Observation', [['value-quantity', 'ap190']]), ['example']);
});

test('a composite matches only when one component satisfies every part', () => {
  assert.deepEqual(ids('Observation', [['component-code-value-quantity', 'http://loinc.org|8480-6$gt100']]), ['blood-pressure']);
  assert.deepEqual(ids('Observation', [['component-code-value-quantity', 'http://loinc.org|8462-4$gt100']]), []);
});

test('missing, references, chains and _has follow the plan semantics', () => {
  assert.deepEqual(ids('Patient', [['birthdate:missing', 'true']]), ['ann']);
  assert.deepEqual(ids('Observation', [['subject', 'Patient/ann']]), ['p']);
  assert.deepEqual(ids('Observation', [['subject:Patient.name', 'änn']]), ['p']);
  assert.deepEqual(ids('Observation', [['patient.organization.name', 'gastro']]), ['p']);
  assert.deepEqual(ids('Patient', [['_has:Observation:patient:date', 'ge2021']]), ['ann']);
  assert.deepEqual(ids('Patient', [['_id', 'ann,zzz']]), ['ann']);
});

test('the range table of plan.ts holds at the boundaries', () => {
  assert.equal(rangeMatches('eq', 0, 10, 0, 10), true);
  assert.equal(rangeMatches('ne', 0, 10, 0, 10), false);
  assert.equal(rangeMatches('ge', 5, 10, 0, 10), true);
  assert.equal(rangeMatches('le', -1, 11, 0, 10), true);
  assert.equal(rangeMatches('le', 0, 11, 0, 10), false);
  assert.equal(rangeMatches('gt', 0, 10, 0, 10), false);
  assert.equal(rangeMatches('ap', 10, 20, 0, 10), true);
});

test('the patient compartment is an OR of reference params, and ids for Patient itself', () => {
  const reg = testRegistry();
  assert.deepEqual(patientCompartmentClause(reg, 'Patient', 'ann'), { kind: 'ids', ids: ['ann'] });
  const clause = patientCompartmentClause(reg, 'Observation', 'ann');
  assert.ok(clause);
  assert.equal(printClause(clause), 'or(reference(subject type=Patient id="ann"), reference(performer type=Patient id="ann"))');
  assert.deepEqual(compartmentParams('Observation'), ['subject', 'performer']);
  assert.equal(patientCompartmentClause(reg, 'Organization', 'ann'), undefined);
  assert.deepEqual(all.filter((r) => r.resourceType === 'Observation' && matches(clause, r, ctx)).map((r) => r.id), ['p']);
});
