import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FhirError } from '../../../src/fhir/outcome.js';
import { checkJsonText, scanJson } from '../../../src/fhir/json-text.js';

const issueOf = (text: string, depth = 100) => {
  try {
    scanJson(text, depth);
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
