import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExact, stringifyExact } from '../../../src/fhir/exact-json.js';
import { assembleSlices, chunkFor, isSliced, planSlices, stringifySliced } from '../../../src/fhir/json-slices.js';
import type { SliceNode } from '../../../src/fhir/json-slices.js';
import { checkJsonText } from '../../../src/fhir/json-text.js';
import { Pacer } from '../../../src/fhir/pacer.js';
import { stampMeta } from '../../../src/fhir/resource-json.js';
import { Rng } from '../../../src/sample/random.js';

/** Random JSON text: nested arrays and objects, strings with escapes, numbers (some written unlike JavaScript), literals. */
function randomJson(rng: Rng, depth = 0): string {
  const x = rng.next();
  if (depth > 4 || x < 0.3) {
    const y = rng.next();
    if (y < 0.3) return String(rng.int(-1000, 1000));
    if (y < 0.45) return rng.pick(['6.0', '0.10', '1e2', '-0', '3.25', '1E-7']);
    if (y < 0.8) return JSON.stringify(`s${'x'.repeat(rng.int(0, 60))}"\\\u00e9\n${rng.int(0, 9)}`);
    return rng.pick(['true', 'false', 'null']);
  }
  const n = rng.int(0, depth < 2 ? 20 : 4);
  if (x < 0.6) return `[${Array.from({ length: n }, () => randomJson(rng, depth + 1)).join(rng.pick([',', ' , ', ',\n']))}]`;
  const keys = Array.from({ length: Math.min(n, 12) }, (_, i) => (rng.next() < 0.1 ? `"k\\u00${40 + i}"` : `"k${i}"`));
  return `{${keys.map((k) => `${k} : ${randomJson(rng, depth + 1)}`).join(',')}}`;
}

/** What `parseJson` gives for checked text. */
const reference = (text: string): unknown => {
  const checked = checkJsonText(text, 100);
  return checked.exactNumbers ? parseExact(checked.text) : checked.value;
};

async function sliced(text: string, chunk: number): Promise<unknown> {
  const checked = checkJsonText(text, 100);
  return assembleSlices(checked.text, planSlices(checked.text, checked.exactNumbers, chunk));
}

/** The number of split containers in a plan. */
function splits(node: SliceNode): number {
  if (node.t === 'v') return 0;
  let n = 1;
  for (const part of node.parts) {
    if (part.t === 'm') n += splits(part.node);
    else if (part.t !== 'r') n += splits(part);
  }
  return n;
}

test('JSON parsed in slices equals JSON parsed whole, and is written back the same, for random documents and piece sizes', async () => {
  let checkedCases = 0;
  let deeplySplit = 0;
  for (let seed = 1; seed <= 100; seed++) {
    const rng = new Rng(seed);
    const text = `${rng.next() < 0.5 ? ' ' : ''}{"resourceType":"Basic","a":${randomJson(rng)},"b":[${Array.from({ length: 30 }, () => randomJson(rng, 2)).join(',')}]}`;
    const whole = reference(text);
    const checked = checkJsonText(text, 100);
    for (const chunk of [128, 1000, 8000]) {
      const plan = planSlices(checked.text, checked.exactNumbers, chunk);
      if (chunk === 128 && splits(plan.root) > 2) deeplySplit++;
      const value = await assembleSlices(checked.text, plan);
      assert.deepEqual(value, whole, `seed ${seed}, pieces of ${chunk}`);
      assert.equal(await stringifySliced(value), stringifyExact(whole), `seed ${seed}, pieces of ${chunk}`);
      checkedCases++;
    }
  }
  assert.equal(checkedCases, 300);
  assert.ok(deeplySplit > 80, `only ${deeplySplit} documents were split below their top two levels`);
});

test('a large document is split along its large containers, and small text is one piece', () => {
  const big = JSON.stringify({ resourceType: 'Observation', component: Array.from({ length: 2000 }, (_, i) => ({ code: { text: `c${i}` } })) });
  const plan = planSlices(big, false, 4096);
  assert.equal(plan.root.t, 'o');
  assert.ok(splits(plan.root) >= 2, 'the resource and its component array are split');
  assert.deepEqual(planSlices('{"a":[1,2,3]}', false, 4096).root, { t: 'v', s: 0, e: 13 });
  // A long string cannot be split: it is a piece of its own.
  const long = `{"data":"${'A'.repeat(10_000)}","b":1}`;
  const root = planSlices(long, false, 4096).root;
  assert.equal(root.t, 'o');
  assert.deepEqual(root.t === 'o' ? root.parts.map((p) => (p.t === 'r' ? long.slice(p.s, p.e).slice(0, 7) : p.t)) : [], ['"data":', '"b":1']);
});

test('numbers written otherwise than JavaScript writes them keep their text across pieces', async () => {
  const components = Array.from({ length: 500 }, (_, i) => `{"valueQuantity":{"value":${i}.0},"n":[1.50,${i}]}`);
  const text = `{"resourceType":"Observation","valueDecimal":6.0,"component":[${components.join(',')}],"list":[${Array.from({ length: 500 }, (_, i) => `${i}.10`).join(',')}]}`;
  const value = await sliced(text, 1024);
  assert.ok(isSliced(value));
  const written = await stringifySliced(value);
  assert.equal(written, stringifyExact(parseExact(text)));
  assert.ok(written.includes('"valueDecimal":6.0') && written.includes('{"value":499.0}') && written.includes('"n":[1.50,7]') && written.endsWith('498.10,499.10]}'));
  // A copy with new meta (as every write makes) is written in slices, with the same numbers.
  const stamped = stampMeta(value as { resourceType: string }, 'x', '1', '2024-01-01T00:00:00.000Z');
  assert.ok(isSliced(stamped));
  assert.equal(await stringifySliced(stamped), stringifyExact(stampMeta(parseExact(text) as { resourceType: string }, 'x', '1', '2024-01-01T00:00:00.000Z')));
});

test('a member named __proto__ is an own property, as JSON.parse makes it', async () => {
  const text = `{"__proto__":{"polluted":true},"big":[${Array.from({ length: 300 }, (_, i) => `{"__proto__":${i}}`).join(',')}]}`;
  const value = (await sliced(text, 256)) as Record<string, unknown>;
  assert.deepEqual(value, JSON.parse(text));
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(await stringifySliced(value), JSON.stringify(JSON.parse(text)));
});

test('parsing and writing a large document let the event loop run in between', async () => {
  const text = JSON.stringify({ resourceType: 'Basic', extension: Array.from({ length: 60_000 }, (_, i) => ({ url: `http://x/${i}`, valueString: 'v'.repeat(40) })) });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    // A pacer without budget yields after every step, so the test does not depend on this machine's speed.
    const value = await assembleSlices(text, planSlices(text, false, chunkFor(256 * 1024)), new Pacer(0));
    const parsedTicks = ticks;
    assert.equal(await stringifySliced(value, new Pacer(0)), text);
    assert.ok(parsedTicks > 0 && ticks > parsedTicks, `timers ran ${parsedTicks} times while parsing and ${ticks - parsedTicks} while writing`);
  } finally {
    clearInterval(timer);
  }
});
