import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSlices } from '../../../src/fhir/json-slices.js';
import { checkJsonText } from '../../../src/fhir/json-text.js';
import { FhirError } from '../../../src/fhir/outcome.js';
import { createIndexer, createSearchRegistry } from '../../../src/search/index.js';
import { BodyWorkerPool, WorkerUnavailable } from '../../../src/workers/worker-pool.js';

const BASE = 'http://example.org/fhir';
const registry = createSearchRegistry();
const STUB = new URL('../../support/stub-body-worker.js', import.meta.url);

/** The FhirError `checkJsonText` throws for `text`, or undefined. */
function inThread(text: string, depth: number): FhirError | undefined {
  try {
    checkJsonText(text, depth);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  return undefined;
}

test('workers start on first use only, and plans are the ones the main thread would make', async () => {
  const pool = new BodyWorkerPool({ size: 1, baseUrl: BASE, registry });
  try {
    assert.equal(pool.running, 0);
    const text = `\ufeff{"resourceType":"Basic","extension":[${Array.from({ length: 400 }, (_, i) => `{"url":"u${i}","valueDecimal":${i}.0}`).join(',')}]}`;
    const plan = await pool.planJson(text, 100, 2048);
    assert.equal(pool.running, 1);
    const checked = checkJsonText(text, 100);
    assert.deepEqual(plan, planSlices(checked.text, checked.exactNumbers, 2048));
  } finally {
    await pool.close();
  }
  assert.equal(pool.running, 0);
});

test('invalid JSON fails in the worker with the FhirError the main thread gives', async () => {
  const pool = new BodyWorkerPool({ size: 1, baseUrl: BASE, registry });
  try {
    const cases: [string, number][] = [
      ['{"a":1,"a":2}', 100], ['{"a":', 100], ['   ', 100], [`${'['.repeat(20)}${']'.repeat(20)}`, 16], ['{"b":[1,2,}', 100],
    ];
    for (const [text, depth] of cases) {
      const expected = inThread(text, depth);
      assert.ok(expected, text);
      await assert.rejects(pool.planJson(text, depth, 1024), (e: unknown) => {
        assert.ok(e instanceof FhirError, `${text}: ${String(e)}`);
        assert.equal(e.status, expected.status);
        assert.deepEqual(e.outcome, expected.outcome);
        return true;
      });
    }
  } finally {
    await pool.close();
  }
});

test('index rows from a worker equal the main thread\'s, also after a SearchParameter is added at run time', async () => {
  const own = createSearchRegistry();
  const indexer = createIndexer(own, { baseUrl: BASE });
  const pool = new BodyWorkerPool({ size: 1, baseUrl: BASE, registry: own });
  try {
    const observation = {
      resourceType: 'Observation', id: 'o1', meta: { versionId: '1', lastUpdated: '2024-01-02T03:04:05.000Z' }, status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }], text: 'Blood pressure' },
      subject: { reference: `${BASE}/Patient/p1` }, effectiveDateTime: '2024-01-02',
      component: Array.from({ length: 50 }, (_, i) => ({
        code: { coding: [{ system: 'http://loinc.org', code: `${8000 + i}-1` }] }, valueQuantity: { value: i + 0.5, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      })),
    };
    const json = JSON.stringify(observation);
    assert.deepEqual(await pool.extractIndex('Observation', json), indexer.extract(observation));
    own.add({
      resourceType: 'SearchParameter', url: 'http://example.org/sp/component-count', name: 'n', status: 'active', description: 'x',
      code: 'component-text', base: ['Observation'], type: 'string', expression: 'Observation.component.code.coding.code',
    });
    const after = indexer.extract(observation);
    assert.ok(after.some((r) => r.param === 'component-text'));
    assert.deepEqual(await pool.extractIndex('Observation', json), after);
  } finally {
    await pool.close();
  }
});

test('a worker that dies fails its work with WorkerUnavailable, and the next work gets a new worker', async () => {
  const pool = new BodyWorkerPool({ size: 1, baseUrl: BASE, registry, workerUrl: STUB });
  try {
    await assert.rejects(pool.planJson('crash', 100, 1024), WorkerUnavailable);
    assert.equal(pool.running, 0);
    const plan = await pool.planJson('{}', 100, 1024);
    assert.equal(plan.root.t, 'v');
    assert.equal(pool.running, 1);
  } finally {
    await pool.close();
  }
});

test('workers see no environment variables', async () => {
  process.env.VESTA_TEST_SECRET = 'not for workers';
  const pool = new BodyWorkerPool({ size: 1, baseUrl: BASE, registry, workerUrl: STUB });
  try {
    const plan = await pool.planJson('{}', 100, 1024);
    assert.deepEqual(plan.root, { t: 'v', s: 0, e: 0 });
  } finally {
    delete process.env.VESTA_TEST_SECRET;
    await pool.close();
  }
});

test('closing the pool fails the work still waiting and ends every worker; later work is refused', async () => {
  const pool = new BodyWorkerPool({ size: 2, baseUrl: BASE, registry, workerUrl: STUB });
  const first = pool.planJson('hang', 100, 1024);
  const second = pool.planJson('hang', 100, 1024);
  assert.equal(pool.running, 2, 'a second worker starts while the first is busy');
  const failed = Promise.all([assert.rejects(first, WorkerUnavailable), assert.rejects(second, WorkerUnavailable)]);
  await pool.close();
  await failed;
  assert.equal(pool.running, 0);
  await assert.rejects(pool.planJson('{}', 100, 1024), WorkerUnavailable);
});
