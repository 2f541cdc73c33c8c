import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dateRange, numberRange, jsonNumberRange, normalizeReference, normalizeString, parseTokenQuery, periodRange, splitEscaped,
  unescapeSearch,
} from '../../../src/search/normalize.js';
import { OPEN_END } from '../../../src/vocabulary/index-values.js';

const ms = (iso: string) => Date.parse(iso);

test('dates are ranges set by their precision and read as UTC without a zone', () => {
  const cases: [string, string, string][] = [
    ['2020', '2020-01-01T00:00:00.000Z', '2020-12-31T23:59:59.999Z'],
    ['2020-02', '2020-02-01T00:00:00.000Z', '2020-02-29T23:59:59.999Z'],
    ['2021-02', '2021-02-01T00:00:00.000Z', '2021-02-28T23:59:59.999Z'],
    ['1974-12-25', '1974-12-25T00:00:00.000Z', '1974-12-25T23:59:59.999Z'],
    ['2020-01-01T10:30', '2020-01-01T10:30:00.000Z', '2020-01-01T10:30:59.999Z'],
    ['2020-01-01T10:30:15', '2020-01-01T10:30:15.000Z', '2020-01-01T10:30:15.999Z'],
    ['2020-01-01T10:30:15Z', '2020-01-01T10:30:15.000Z', '2020-01-01T10:30:15.999Z'],
    ['2020-01-01T10:30:15.123Z', '2020-01-01T10:30:15.123Z', '2020-01-01T10:30:15.123Z'],
    ['2020-01-01T10:30:15.5Z', '2020-01-01T10:30:15.500Z', '2020-01-01T10:30:15.599Z'],
    ['2020-01-01T10:30:15.123456Z', '2020-01-01T10:30:15.123Z', '2020-01-01T10:30:15.123Z'],
  ];
  for (const [text, low, high] of cases) assert.deepEqual(dateRange(text), { low: ms(low), high: ms(high) }, text);
});

test('time zone offsets shift the instant to UTC', () => {
  assert.deepEqual(dateRange('2020-01-01T10:00:00+02:00'), { low: ms('2020-01-01T08:00:00.000Z'), high: ms('2020-01-01T08:00:00.999Z') });
  assert.deepEqual(dateRange('2019-12-31T22:00:00-05:30'), { low: ms('2020-01-01T03:30:00.000Z'), high: ms('2020-01-01T03:30:00.999Z') });
});

test('malformed dates are rejected rather than guessed', () => {
  for (const bad of ['2020-13', '2020-02-30', '20', '2020-1-1', 'ge2020', '2020-01-01T25:00', '{"$ne":null}', '']) {
    assert.equal(dateRange(bad), undefined, bad);
  }
});

test('periods open at one end reach the open-end sentinel', () => {
  assert.deepEqual(periodRange('2020-01-01', undefined), { low: ms('2020-01-01T00:00:00Z'), high: OPEN_END });
  assert.deepEqual(periodRange(undefined, '2020-01'), { low: -OPEN_END, high: ms('2020-01-31T23:59:59.999Z') });
  assert.deepEqual(periodRange('2020', '2021'), { low: ms('2020-01-01T00:00:00Z'), high: ms('2021-12-31T23:59:59.999Z') });
  assert.equal(periodRange(undefined, undefined), undefined);
});

test('numbers carry the implicit precision of how they are written', () => {
  assert.deepEqual(numberRange('100'), { value: 100, low: 99.5, high: 100.5 });
  assert.deepEqual(numberRange('100.0'), { value: 100, low: 99.95, high: 100.05 });
  assert.deepEqual(numberRange('0.5'), { value: 0.5, low: 0.45, high: 0.55 });
  assert.deepEqual(numberRange('1e2'), { value: 100, low: 50, high: 150 });
  assert.deepEqual(numberRange('1.5e2'), { value: 150, low: 145, high: 155 });
  assert.deepEqual(numberRange('-3'), { value: -3, low: -3.5, high: -2.5 });
  assert.equal(numberRange('abc'), undefined);
  assert.equal(numberRange('1,5'), undefined);
});

test('stored JSON numbers keep a range that contains their exact value', () => {
  const r = jsonNumberRange(52.98358450460521);
  assert.ok(r.low <= r.value && r.value <= r.high);
  assert.deepEqual(jsonNumberRange(7), { value: 7, low: 6.5, high: 7.5 });
});

test('strings fold case, accents and whitespace', () => {
  assert.equal(normalizeString('Änn'), 'ann');
  assert.equal(normalizeString('  José   MARÍA\tÑúñez '), 'jose maria nunez');
  assert.equal(normalizeString('Ørsted'), 'ørsted');
  assert.equal(normalizeString('ﬁ'), 'ﬁ');
});

test('tokens split at the first unescaped bar', () => {
  assert.deepEqual(parseTokenQuery('http://loinc.org|8480-6'), { system: 'http://loinc.org', code: '8480-6' });
  assert.deepEqual(parseTokenQuery('http://loinc.org|'), { system: 'http://loinc.org' });
  assert.deepEqual(parseTokenQuery('|male'), { system: null, code: 'male' });
  assert.deepEqual(parseTokenQuery('male'), { code: 'male' });
  assert.deepEqual(parseTokenQuery('a\\|b'), { code: 'a|b' });
  assert.deepEqual(parseTokenQuery('sys|a\\|b'), { system: 'sys', code: 'a|b' });
});

test('escapes survive a split and are removed afterwards', () => {
  assert.deepEqual(splitEscaped('a\\,b,c', ','), ['a\\,b', 'c']);
  assert.deepEqual(splitEscaped('x$y\\$z', '$'), ['x', 'y\\$z']);
  assert.equal(unescapeSearch('a\\,b\\$c\\|d\\\\e'), 'a,b$c|d\\e');
});

test('references normalize to type and id, to a url, or to nothing', () => {
  const base = 'https://vesta.example/fhir';
  const local = { targetType: 'Patient', targetId: '123', url: null };
  assert.deepEqual(normalizeReference('Patient/123', base), local);
  assert.deepEqual(normalizeReference('Patient/123/_history/4', base), local);
  assert.deepEqual(normalizeReference('https://vesta.example/fhir/Patient/123', base), local);
  assert.deepEqual(normalizeReference('https://vesta.example/fhir/Patient/123/_history/2', base), local);
  assert.deepEqual(normalizeReference('https://other.example/fhir/Patient/123', base),
    { targetType: null, targetId: null, url: 'https://other.example/fhir/Patient/123' });
  assert.deepEqual(normalizeReference('http://x.org/Questionnaire/q|2.0', base), { targetType: null, targetId: null, url: 'http://x.org/Questionnaire/q' });
  assert.equal(normalizeReference('#contained-1', base), undefined);
  assert.equal(normalizeReference('not a reference', base), undefined);
});
