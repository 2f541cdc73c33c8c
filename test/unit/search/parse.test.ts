import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSearch, type ParseOptions } from '../../../src/search/parse.js';
import { printPlan, printClause } from '../../../src/search/print.js';
import { FhirError } from '../../../src/fhir/outcome.js';
import { BASE, testRegistry } from './fixtures.js';
import { ALL_SEARCH_FEATURES } from '../../support/search-capabilities.js';

const opts: ParseOptions = { baseUrl: BASE, strict: true, defaultCount: 20, maxCount: 100, now: Date.parse('2025-01-01T00:00:00Z'), capabilities: ALL_SEARCH_FEATURES };
const where = (type: string, q: [string, string][], o: Partial<ParseOptions> = {}) => {
  const w = parseSearch(testRegistry(), type ? [type] : [], q, { ...opts, ...o }).where;
  return w ? printClause(w) : '';
};

test('string modifiers fold the value except for exact', () => {
  assert.equal(where('Patient', [['name', 'Änn']]), 'string(name prefix "ann")');
  assert.equal(where('Patient', [['name:exact', 'Änn']]), 'string(name exact "Änn")');
  assert.equal(where('Patient', [['family:contains', 'CH']]), 'string(family contains "ch")');
  assert.equal(where('Patient', [['family:missing', 'true']]), 'missing(family true)');
});

test('token forms and modifiers become token, string or not clauses', () => {
  assert.equal(where('Observation', [['code', 'http://loinc.org|']]), 'token(code "http://loinc.org"|*)');
  assert.equal(where('Observation', [['code', '|abc']]), 'token(code null|"abc")');
  assert.equal(where('Observation', [['code', 'a\\|b']]), 'token(code *|"a|b")');
  assert.equal(where('Observation', [['code:not', 'x']]), 'not(token(code *|"x"))');
  assert.equal(where('Observation', [['code:text', 'Body W']]), 'string(code:text prefix "body w")');
  assert.equal(where('Patient', [['identifier:of-type', 'http://t|MR|123']]), 'token(identifier:of-type "http://t"|"MR|123")');
  assert.match(where('Patient', [['gender:in', 'http://hl7.org/fhir/ValueSet/administrative-gender']]), /^or\(token\(gender "http:\/\/hl7.org\/fhir\/administrative-gender"\|"male"\)/);
  assert.match(where('Patient', [['gender:not-in', 'http://hl7.org/fhir/ValueSet/administrative-gender']]), /^not\(or\(/);
});

test('every prefix is accepted on dates, numbers and quantities', () => {
  for (const p of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb']) {
    assert.equal(where('Patient', [['birthdate', `${p}2020`]]), `range(birthdate ${p} [2020-01-01T00:00:00.000Z, 2020-12-31T23:59:59.999Z])`);
  }
  assert.equal(where('Observation', [['date', 'ap2020-01-01']]), 'range(date ap [2019-07-02T08:23:59.999Z, 2020-07-02T15:35:59.999Z])');
  assert.equal(where('RiskAssessment', [['probability', 'gt0.8']]), 'range(probability gt [0.75, 0.85])');
  assert.equal(where('RiskAssessment', [['probability', 'ap100']]), 'range(probability ap [89.5, 110.5])');
  assert.equal(where('Observation', [['value-quantity', '5.4|http://unitsofmeasure.org|mg']]),
    'range(value-quantity eq [5.35, 5.45] system="http://unitsofmeasure.org" code="mg")');
  assert.equal(where('Observation', [['value-quantity', 'lt100||mg']]), 'range(value-quantity lt [99.5, 100.5] unit="mg")');
});

test('reference forms resolve to type and id or to a url', () => {
  assert.equal(where('Observation', [['subject', 'Patient/1']]), 'reference(subject type=Patient id="1")');
  assert.equal(where('Observation', [['subject', '1']]), 'reference(subject id="1")');
  assert.equal(where('Observation', [['subject:Patient', '1']]), 'reference(subject type=Patient id="1")');
  assert.equal(where('Observation', [['subject', `${BASE}/Patient/1`]]), 'reference(subject type=Patient id="1")');
  assert.equal(where('Observation', [['subject', 'https://other.example/Patient/1']]), 'reference(subject url="https://other.example/Patient/1")');
  assert.equal(where('Observation', [['subject:identifier', 'http://s|7']]), 'token(subject:identifier "http://s"|"7")');
});

test('uri modifiers keep the value verbatim', () => {
  assert.equal(where('ValueSet', [['url:below', 'http://acme.org/fhir/']]), 'uri(url below "http://acme.org/fhir/")');
  assert.equal(where('ValueSet', [['url:above', 'http://acme.org/fhir/ValueSet/a']]), 'uri(url above "http://acme.org/fhir/ValueSet/a")');
});

test('chains, nested chains and _has become chain and has clauses', () => {
  assert.equal(where('Observation', [['subject:Patient.name', 'x']]), 'chain(subject -> Patient: string(name prefix "x"))');
  assert.equal(where('Observation', [['patient.organization.name', 'Acme']]),
    'chain(patient -> Patient: chain(organization -> Organization: string(name prefix "acme")))');
  assert.equal(where('Patient', [['_has:Observation:patient:code', '1234-5']]), 'has(Observation.patient: token(code *|"1234-5"))');
  assert.equal(where('Patient', [['_has:Observation:subject:_has:Provenance:target:agent', 'Practitioner/1']]),
    'has(Observation.subject: has(Provenance.target: reference(agent type=Practitioner id="1")))');
});

test('composites split at the dollar sign into component clauses', () => {
  assert.equal(where('Observation', [['code-value-quantity', 'http://loinc.org|8480-6$gt100']]),
    'composite(code-value-quantity: token(code-value-quantity.0 "http://loinc.org"|"8480-6"), range(code-value-quantity.1 gt [99.5, 100.5]))');
});

test('commas are OR and repeated parameters are AND', () => {
  assert.equal(where('Patient', [['gender', 'male,female'], ['name', 'a']]),
    'and(or(token(gender *|"male"), token(gender *|"female")), string(name prefix "a"))');
  assert.equal(where('Patient', [['name', 'a\\,b']]), 'string(name prefix "a,b")');
  assert.equal(where('Patient', [['_id', 'a,b']]), 'ids("a", "b")');
});

test('result parameters and the applied list print in a stable form', () => {
  const plan = parseSearch(testRegistry(), ['Observation'], [
    ['code', 'x'], ['_sort', '-date,code'], ['_count', '500'], ['_total', 'accurate'], ['_summary', 'count'], ['_elements', 'id,code'],
    ['_include', 'Observation:subject:Patient'], ['_revinclude:iterate', 'Provenance:target'], ['_cursor', 'c1'], ['_format', 'json'], ['_pretty', 'true'],
  ], opts);
  assert.equal(printPlan(plan), [
    'types: Observation', 'where: token(code *|"x")', 'sort: -date,code', 'count: 100', 'total: accurate',
    'include: Observation:subject:Patient', 'revinclude: Provenance:target (iterate)', 'summary: count', 'elements: id,code',
    'applied: code=x&_count=100&_elements=id,code&_include=Observation:subject:Patient&_revinclude:iterate=Provenance:target&_sort=-date,code&_summary=count&_total=accurate',
  ].join('\n'));
});

test('system search takes its types from _type and allows only common parameters', () => {
  const plan = parseSearch(testRegistry(), [], [['_type', 'Patient,Observation'], ['_lastUpdated', 'lt2024']], opts);
  assert.deepEqual(plan.types, ['Observation', 'Patient']);
  assert.equal(where('', [['_id', 'x']]), 'ids("x")');
});

test('injection-looking values stay plain string data', () => {
  assert.equal(where('Patient', [['name', '{"$ne":null}']]), 'string(name prefix "{\\"$ne\\":null}")');
  assert.equal(where('Patient', [['family', "'); drop table patient;--"]]), 'string(family prefix "\'); drop table patient;--")');
  assert.equal(where('Patient', [['given', '.*%_']]), 'string(given prefix ".*%_")');
  assert.equal(where('Observation', [['code', '$where|sleep(1)']]), 'token(code "$where"|"sleep(1)")');
});

test('unknown parameters are ignored when lenient and left out of applied', () => {
  const plan = parseSearch(testRegistry(), ['Patient'], [['foo', '1'], ['name', 'x']], { ...opts, strict: false });
  assert.deepEqual(plan.applied, [['name', 'x']]);
});

function rejects(type: string, q: [string, string][], message: RegExp): void {
  assert.throws(() => parseSearch(testRegistry(), [type], q, opts), (e: unknown) => {
    assert.ok(e instanceof FhirError);
    assert.equal(e.status, 400);
    assert.match(e.message, message);
    return true;
  });
}

test('unknown parameters and malformed values are 400 errors that name the parameter', () => {
  rejects('Patient', [['foo', '1']], /'foo'/);
  rejects('Patient', [['birthdate', 'garbage']], /'birthdate'/);
  rejects('Patient', [['birthdate', '2020-13-01']], /'birthdate'/);
  rejects('RiskAssessment', [['probability', 'abc']], /'probability'/);
  rejects('Patient', [['name:text', 'x']], /':text'.*'name:text'/);
  rejects('Patient', [['_count', '-1']], /'_count'/);
  rejects('Patient', [['_sort', 'nope']], /'_sort'/);
  rejects('Patient', [['_total', 'maybe']], /'_total'/);
  rejects('Observation', [['subject:Patient.foo', 'x']], /'subject:Patient.foo'/);
  rejects('Observation', [['code-value-quantity', 'a$b$c']], /'code-value-quantity'/);
  rejects('Patient', [['general-practitioner:Observation', '1']], /'general-practitioner:Observation'/);
  rejects('Patient', [['gender:in', 'http://example.org/unknown']], /'gender:in'/);
  rejects('Patient', [['gender:missing', 'maybe']], /'gender:missing'/);
  rejects('Patient', [['_include', 'Nope:x']], /'_include'/);
  rejects('Patient', [['_text', 'x']], /'_text'/);
});
