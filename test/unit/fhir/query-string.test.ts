import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryString } from '../../../src/fhir/bundle.js';

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
