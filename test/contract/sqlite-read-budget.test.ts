import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FhirError } from '../../src/fhir/outcome.js';
import { ReadPool } from '../../src/store/sqlite/read-pool.js';
import type { StoreQuery } from '../../src/vocabulary/plan.js';

const query = (type: string): StoreQuery => ({ types: [type], sort: [], count: 10, total: 'none' });
const fakeWorker = new URL('../support/slow-read-worker.js', import.meta.url);
const data = { file: ':memory:', cacheMiB: 2, busyTimeoutMs: 10, prewarm: false };

test('a search over its time budget answers 400 too-costly and its worker is replaced', async () => {
  const pool = new ReadPool(data, 1, 200, fakeWorker);
  try {
    await pool.ready();
    const slow = pool.search(query('Slow'));
    // Queued behind the slow one on the only worker: it must be answered by the replacement, not fail.
    const queued = pool.search(query('Patient'));
    await assert.rejects(slow, (e: unknown) => {
      assert.ok(e instanceof FhirError);
      assert.equal(e.status, 400);
      assert.equal(e.outcome.issue[0]!.code, 'too-costly');
      assert.match(e.outcome.issue[0]!.diagnostics!, /VESTA_SEARCH_TIMEOUT_MS/);
      return true;
    });
    assert.deepEqual(await queued, { items: [] });
    assert.deepEqual(await pool.search(query('Patient')), { items: [] });
  } finally {
    await pool.close();
  }
});

test('each request has the whole budget from when it starts running, also one queued behind another', async () => {
  const pool = new ReadPool(data, 1, 600, fakeWorker);
  try {
    await pool.ready();
    // The second starts when the first ends (~300 ms) and runs 500 ms: past the first request's budget, within its own.
    const first = pool.search(query('Pause300'));
    const second = pool.search(query('Pause500'));
    assert.deepEqual(await first, { items: [] });
    assert.deepEqual(await second, { items: [] });
    // A request after an idle spell is timed again.
    await assert.rejects(pool.search(query('Slow')), (e: unknown) => e instanceof FhirError && e.status === 400);
  } finally {
    await pool.close();
  }
});

test('without a budget nothing is timed', async () => {
  const pool = new ReadPool(data, 1, undefined, fakeWorker);
  try {
    assert.deepEqual(await pool.search(query('Patient')), { items: [] });
  } finally {
    await pool.close();
  }
});
