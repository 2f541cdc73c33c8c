import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIndexer } from '../../../src/search/extract.js';
import type { IndexValue } from '../../../src/vocabulary/index-values.js';
import { BASE, example, testRegistry } from './fixtures.js';

const indexer = createIndexer(testRegistry(), { baseUrl: BASE });
const rowsOf = (r: { resourceType: string }, param: string): IndexValue[] => indexer.extract(r).filter((v) => v.param === param);

test('a Patient yields name parts, folded and exact, under name, family and given', () => {
  const p = example('Patient-example.json');
  assert.deepEqual(rowsOf(p, 'family').map((r) => r.kind === 'string' && r.exact), ['Chalmers', 'Windsor']);
  assert.deepEqual(rowsOf(p, 'given').map((r) => r.kind === 'string' && r.value), ['peter', 'james', 'jim']);
  assert.ok(rowsOf(p, 'name').some((r) => r.kind === 'string' && r.value === 'windsor'));
});

test('a Patient yields birthdate as a day range, gender and identifier tokens, and the of-type row', () => {
  const p = example('Patient-example.json');
  assert.deepEqual(rowsOf(p, 'birthdate'), [
    { kind: 'date', param: 'birthdate', low: Date.parse('1974-12-25T00:00:00Z'), high: Date.parse('1974-12-25T23:59:59.999Z') },
  ]);
  assert.deepEqual(rowsOf(p, 'gender'), [{ kind: 'token', param: 'gender', system: 'http://hl7.org/fhir/administrative-gender', code: 'male' }]);
  assert.deepEqual(rowsOf(p, 'identifier'), [{ kind: 'token', param: 'identifier', system: 'urn:oid:1.2.36.146.595.217.0.1', code: '12345' }]);
  assert.deepEqual(rowsOf(p, 'identifier:of-type'), [
    { kind: 'token', param: 'identifier:of-type', system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR|12345' },
  ]);
  assert.deepEqual(rowsOf(p, 'organization'), [
    { kind: 'reference', param: 'organization', targetType: 'Organization', targetId: '1', url: null },
  ]);
  assert.deepEqual(rowsOf(p, '_id'), [{ kind: 'token', param: '_id', system: null, code: 'example' }]);
});

test('an Observation yields code, its text, value quantity with precision, subject and patient', () => {
  const o = example('Observation-example.json');
  assert.deepEqual(rowsOf(o, 'code').map((r) => r.kind === 'token' && `${r.system}|${r.code}`),
    ['http://loinc.org|29463-7', 'http://loinc.org|3141-9', 'http://snomed.info/sct|27113001', 'http://acme.org/devices/clinical-codes|body-weight']);
  assert.ok(rowsOf(o, 'code:text').some((r) => r.kind === 'string' && r.value === 'body weight'));
  const q = rowsOf(o, 'value-quantity')[0];
  assert.equal(q?.kind, 'quantity');
  if (q?.kind === 'quantity') {
    assert.deepEqual([q.system, q.code, q.unit, q.value, q.low, q.high], ['http://unitsofmeasure.org', '[lb_av]', 'lbs', 185, 184.5, 185.5]);
  }
  assert.deepEqual(rowsOf(o, 'patient'), [{ kind: 'reference', param: 'patient', targetType: 'Patient', targetId: 'example', url: null }]);
  assert.deepEqual(rowsOf(o, 'subject'), [{ kind: 'reference', param: 'subject', targetType: 'Patient', targetId: 'example', url: null }]);
});

test('an Observation effectivePeriod yields its date range', () => {
  const o = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectivePeriod: { start: '2020-01-01' } };
  assert.deepEqual(rowsOf(o, 'date'), [{ kind: 'date', param: 'date', low: Date.parse('2020-01-01T00:00:00Z'), high: 8.64e15 }]);
});

test('composite components share a group per component of a blood pressure', () => {
  const rows = rowsOf(example('Observation-blood-pressure.json'), 'component-code-value-quantity.1');
  assert.equal(rows.length, 2);
  const all = indexer.extract(example('Observation-blood-pressure.json'));
  for (const r of rows) {
    const codes = all.filter((x) => x.param === 'component-code-value-quantity.0' && x.group === r.group);
    assert.ok(codes.length > 0, 'each quantity has its code in the same group');
  }
  const systolic = rows.find((r) => r.kind === 'quantity' && r.value === 107);
  assert.ok(all.some((x) => x.param === 'component-code-value-quantity.0' && x.group === systolic?.group
    && x.kind === 'token' && x.code === '8480-6'));
});

test('reference identifiers become synthetic identifier rows', () => {
  const rows = rowsOf(example('Observation-blood-pressure.json'), 'based-on:identifier');
  assert.deepEqual(rows, [{ kind: 'token', param: 'based-on:identifier', system: 'https://acme.org/identifiers', code: '1234' }]);
});

test('a MedicationRequest yields its medication code, intent, authoredon and requester', () => {
  const m = example('MedicationRequest-medrx0302.json');
  assert.ok(rowsOf(m, 'intent').some((r) => r.kind === 'token' && r.code === 'order'));
  assert.ok(rowsOf(m, 'subject').some((r) => r.kind === 'reference' && r.targetType === 'Patient' && r.targetId === 'pat1'));
  assert.ok(rowsOf(m, 'patient').some((r) => r.kind === 'reference' && r.targetId === 'pat1'));
  assert.ok(rowsOf(m, 'authoredon').every((r) => r.kind === 'date'));
  assert.ok(rowsOf(m, 'requester').some((r) => r.kind === 'reference' && r.targetType === 'Practitioner'));
});

test('meta yields _lastUpdated, _tag, _security, _profile and _source rows', () => {
  const p = {
    resourceType: 'Patient', id: 'm1',
    meta: {
      lastUpdated: '2024-05-01T10:00:00.000Z', source: 'http://src.example/x', profile: ['http://p.example/P'],
      tag: [{ system: 'http://t', code: 'a' }], security: [{ system: 'http://s', code: 'R' }],
    },
  };
  const rows = indexer.extract(p);
  assert.deepEqual(rows.filter((r) => r.param.startsWith('_') && r.param !== '_id'), [
    { kind: 'date', param: '_lastUpdated', low: Date.parse('2024-05-01T10:00:00Z'), high: Date.parse('2024-05-01T10:00:00Z') },
    { kind: 'uri', param: '_profile', value: 'http://p.example/P' },
    { kind: 'token', param: '_security', system: 'http://s', code: 'R' },
    { kind: 'uri', param: '_source', value: 'http://src.example/x' },
    { kind: 'token', param: '_tag', system: 'http://t', code: 'a' },
  ]);
});

test('absolute references on this server are indexed as type and id; contained ones are skipped', () => {
  const o = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `${BASE}/Patient/p9` },
    performer: [{ reference: '#c1' }, { reference: 'https://elsewhere.example/Practitioner/1' }] };
  assert.deepEqual(rowsOf(o, 'subject'), [{ kind: 'reference', param: 'subject', targetType: 'Patient', targetId: 'p9', url: null }]);
  assert.deepEqual(rowsOf(o, 'performer'), [{ kind: 'reference', param: 'performer', targetType: null, targetId: null, url: 'https://elsewhere.example/Practitioner/1' }]);
});

test('identical rows are emitted once', () => {
  const p = { resourceType: 'Patient', name: [{ family: 'Doe' }, { family: 'Doe' }] };
  assert.equal(rowsOf(p, 'family').length, 1);
});

test('identical rows are emitted once also when a param has many rows (compared by key past 16), in first-seen order', () => {
  const values = Array.from({ length: 40 }, (_, i) => `v${i % 25}`);
  const p = { resourceType: 'Patient', identifier: values.map((value) => ({ system: 'urn:x', value })), name: [{ given: values }] };
  const wanted = Array.from({ length: 25 }, (_, i) => `v${i}`);
  assert.deepEqual(rowsOf(p, 'identifier').map((r) => r.kind === 'token' && r.code), wanted);
  assert.deepEqual(rowsOf(p, 'given').map((r) => r.kind === 'string' && r.exact), wanted);
  // Rows differing in one field only are all kept: a token without a system is another row.
  const q = { resourceType: 'Patient', identifier: [{ system: 'urn:x', value: 'a' }, { value: 'a' }, { system: 'urn:y', value: 'a' }, { system: 'urn:x', value: 'a' }] };
  assert.deepEqual(rowsOf(q, 'identifier').map((r) => r.kind === 'token' && `${r.system}|${r.code}`), ['urn:x|a', 'null|a', 'urn:y|a']);
});

test('a resource type unknown to the registry yields no rows', () => {
  assert.deepEqual(indexer.extract({ resourceType: 'NotAType' }), []);
});
