import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLarge, parseJson, parseLargeJson } from '../../../src/http/body.js';
import type { LargeBodies } from '../../../src/http/body.js';
import { stringifyExact } from '../../../src/fhir/exact-json.js';
import { isSliced, planSlices } from '../../../src/fhir/json-slices.js';
import { checkJsonText } from '../../../src/fhir/json-text.js';
import { FhirError } from '../../../src/fhir/outcome.js';

const text = `\ufeff{"resourceType":"Basic","extension":[${Array.from({ length: 300 }, (_, i) => `{"url":"u${i}","valueDecimal":${i}.50}`).join(',')}]}`;

/** A planner that plans in this thread, as a worker would. */
const inThread: LargeBodies = {
  bytes: 1024,
  bundleBytes: 4096,
  planner: {
    async planJson(raw, depth, chunk) {
      const checked = checkJsonText(raw, depth);
      return planSlices(checked.text, checked.exactNumbers, chunk);
    },
  },
};

test('a large body parsed in slices gives the value parseJson gives', async () => {
  const value = await parseLargeJson(text, 100, inThread);
  assert.ok(isSliced(value));
  assert.deepEqual(value, parseJson(text, 100));
  assert.equal(stringifyExact(value), stringifyExact(parseJson(text, 100)));
});

test('when no worker can plan, the body is parsed in this thread; a FhirError from the worker is the answer', async () => {
  const unavailable: LargeBodies = { bytes: 1024, bundleBytes: 4096, planner: { planJson: () => Promise.reject(new Error('no worker')) } };
  const value = await parseLargeJson(text, 100, unavailable);
  assert.ok(!isSliced(value));
  assert.deepEqual(value, parseJson(text, 100));
  await assert.rejects(parseLargeJson('{"a":1,"a":2}', 100, inThread), (e: unknown) => e instanceof FhirError && e.status === 400);
});

test('Bundles take the large-body path from their own threshold, other bodies from VESTA_LARGE_BODY', () => {
  const large: LargeBodies = { bytes: 1024, bundleBytes: 4096, planner: { planJson: () => Promise.reject(new Error('unused')) } };
  assert.equal(isLarge(large, 'create', 1023), false);
  assert.equal(isLarge(large, 'create', 1024), true);
  assert.equal(isLarge(large, 'transaction', 4095), false);
  assert.equal(isLarge(large, 'transaction', 4096), true);
  assert.equal(isLarge(undefined, 'create', 1 << 24), false);
});
