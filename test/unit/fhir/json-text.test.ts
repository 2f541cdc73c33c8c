import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FhirError } from '../../../src/fhir/outcome.js';
import { checkJsonText, scanJson } from '../../../src/fhir/json-text.js';
import { plainNumber } from '../../../src/fhir/json-tokens.js';

const issueOf = (text: string, depth = 100) => {
  try {
    checkJsonText(text, depth);
  } catch (e) {
    assert.ok(e instanceof FhirError);
    assert.equal(e.status, 400);
    return e.outcome.issue[0]!;
  }
  return undefined;
};

test('a key repeated in one object is a 400 naming the key', () => {
  const issue = issueOf('{"resourceType":"Patient","gender":"male","gender":"female"}');
  assert.equal(issue?.code, 'structure');
  assert.match(issue!.diagnostics!, /'gender' twice/);
});

test('a key written with an escape is the same key', () => {
  assert.match(issueOf('{"a":1,"\\u0061":2}')!.diagnostics!, /'a' twice/);
});

test('the same key in different objects, and key-like text inside strings, are fine', () => {
  assert.equal(issueOf('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"\\"a\\":1,{\\"a\\"","d":"x\\\\"}'), undefined);
});

test('nesting deeper than the limit is 400 too-costly naming the setting', () => {
  const issue = issueOf('['.repeat(17) + ']'.repeat(17), 16);
  assert.equal(issue?.code, 'too-costly');
  assert.match(issue!.diagnostics!, /VESTA_MAX_JSON_DEPTH/);
  assert.equal(issueOf('['.repeat(16) + ']'.repeat(16), 16), undefined);
});

test('a repeat is told from the key counts, whatever the keys look like: integer-like keys, __proto__, empty keys, keys in arrays of objects', () => {
  assert.equal(issueOf('{"2":1,"1":{"b":2,"a":3},"__proto__":{"x":1},"":0,"l":[{"a":1},{"a":1}]}'), undefined);
  assert.match(issueOf('{"l":[{"a":1},{"b":1,"b":2}]}')!.diagnostics!, /'b' twice/);
  assert.match(issueOf('{"__proto__":1,"__proto__":2}')!.diagnostics!, /'__proto__' twice/);
  assert.match(issueOf('{"2":{"x":[1]},"1":{"y":1,"y" :2}}')!.diagnostics!, /'y' twice/);
  assert.equal(scanJson('{"a" : "b:", "c":{"d":[1,"e"]}}', 10).keys, 3);
});

test('a number is called plain from its shape only when JavaScript writes it back the same', () => {
  const samples = ['0', '-0', '7', '-7', '10', '100', '0.5', '-0.5', '6.0', '0.10', '1.25', '123456789012345', '1234567890123456',
    '12345678901234567890', '0.000001', '0.0000001', '-0.000001', '0.00001234', '1e2', '1E2', '1.5e-3', '99.99', '98.6',
    '123456789012.345', '0.123456789012345', '9007199254740993', '00', '01', '1.', '-', '3.14159265358979', '2.718281828459045'];
  for (const raw of samples) {
    if (plainNumber(raw, 0, raw.length)) assert.equal(String(Number(raw)), raw, raw);
  }
  for (const raw of ['0', '7', '-7', '0.5', '1.25', '98.6', '123456789012345', '0.000001', '123456789012.345']) assert.equal(plainNumber(raw, 0, raw.length), true, raw);
  for (const raw of ['-0', '6.0', '0.10', '1e2', '0.0000001', '1234567890123456']) assert.equal(plainNumber(raw, 0, raw.length), false, raw);
  // Random decimals: a plain verdict is never wrong.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let n = 0; n < 20_000; n++) {
    const int = String(next() % 10 ** (1 + (next() % 9)));
    const frac = next() % 3 === 0 ? '' : `.${String(next()).slice(0, 1 + (next() % 9))}`;
    const raw = `${next() % 2 ? '-' : ''}${int}${frac}`;
    if (plainNumber(raw, 0, raw.length)) assert.equal(String(Number(raw)), raw, raw);
  }
});

test('numbers written otherwise than JavaScript writes them are noticed', () => {
  assert.equal(scanJson('{"v":6.0}', 10).exactNumbers, true);
  assert.equal(scanJson('{"v":1e2}', 10).exactNumbers, true);
  assert.equal(scanJson('{"v":[6,0.5,-3,"6.0"]}', 10).exactNumbers, false);
});

test('an object with very many keys is checked in linear time and its duplicate found', () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `"k${i}":1`);
  assert.equal(issueOf(`{${keys.join(',')}}`), undefined);
  assert.match(issueOf(`{${keys.join(',')},"k5":2}`)!.diagnostics!, /'k5' twice/);
});

test('text that is not JSON ends the scan and is left to JSON.parse, whatever its shape', () => {
  for (const text of ['"open', '{"a":"open', '{"a\\q":1}', ']]]', '{"a":1}}}[', '{"a" 1, "a": 2', '\\"', '[1,2']) {
    assert.doesNotThrow(() => scanJson(text, 100), text);
    assert.throws(() => checkJsonText(text, 100), (e: unknown) => e instanceof FhirError && e.status === 400, text);
  }
});

test('deep nesting is refused before JSON.parse sees it (JSON.parse spends about 0.3 µs per level)', () => {
  // Four MB of `[`: JSON.parse would work through every level before failing as "not valid JSON"; the scan stops at
  // level 101 with too-costly.
  const text = '['.repeat(4 * 1024 * 1024);
  assert.throws(() => checkJsonText(text, 100), (e: unknown) => e instanceof FhirError && e.outcome.issue[0]?.code === 'too-costly');
});
