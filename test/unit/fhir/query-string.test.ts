import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeQueryPart, queryString } from '../../../src/fhir/bundle.js';

test("links write FHIR's separators literally and encode only what must be", () => {
  assert.equal(
    queryString([['code', 'http://loinc.org|1234-5,x'], ['_revinclude:iterate', 'Observation:subject'], ['_has:Observation:subject:code', '$x']]),
    'code=http://loinc.org|1234-5,x&_revinclude:iterate=Observation:subject&_has:Observation:subject:code=$x',
  );
});

test('characters that would change the query stay encoded', () => {
  assert.equal(queryString([['name', 'a&b=c+d e#f%g?']]), 'name=a%26b%3Dc%2Bd%20e%23f%25g%3F');
});

test('the written query parses back to the same pairs', () => {
  const pairs: [string, string][] = [['code', 'a|b,c'], ['x:y', 'p$q/r'], ['n', 'a&b=c+d e%']];
  assert.deepEqual([...new URLSearchParams(queryString(pairs))], pairs);
});

test('a name or value written as is is exactly what encoding and then restoring the literals gives', () => {
  const slow = (s: string): string => encodeURIComponent(s).replace(/%(2C|7C|3A|24|2F)/g, (m) => decodeURIComponent(m));
  const alphabet = "aZ09-_.!~*'(),|:$/&=+#% ?\u00e9\u4e2d\t[]@;\"<>\\^`{}";
  let seed = 7;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let i = 0; i < 5000; i++) {
    const s = Array.from({ length: next(12) }, () => alphabet[next(alphabet.length)]).join('');
    assert.equal(encodeQueryPart(s), slow(s), JSON.stringify(s));
  }
  assert.equal(encodeQueryPart('http://hospital.example.org/mrn|MRN-00042'), 'http://hospital.example.org/mrn|MRN-00042');
});
