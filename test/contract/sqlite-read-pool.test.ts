import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FhirError } from '../../src/fhir/outcome.js';
import { prewarm } from '../../src/store/sqlite/prewarm.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoreQuery } from '../../src/vocabulary/plan.js';
import { refs, version, w } from './contract-support.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-read-pool-'));
let n = 0;
after(() => fs.rmSync(root, { recursive: true, force: true }));

const byFamily = (value: string): StoreQuery => ({
  types: ['Patient'], sort: [], count: 10, total: 'accurate',
  where: { kind: 'string', param: { code: 'family', type: 'string' }, mode: 'prefix', value },
});
const family = (value: string) => [{ kind: 'string' as const, param: 'family', value, exact: value }];

/** A store with 200 Patients written and closed, reopened with the given options. */
async function seeded(opts: { readWorkers: number; prewarm: boolean; readCacheMiB?: number }): Promise<{ store: SqliteStore; dataDir: string }> {
  const dataDir = path.join(root, String(n++));
  const writer = SqliteStore.open({ dataDir, synchronous: 'NORMAL' });
  for (let i = 0; i < 200; i++) await writer.write(w(version('Patient', `p${i}`, 1, i, { note: 'x'.repeat(500) }), family(i % 2 ? 'odd' : 'even')), null);
  await writer.close();
  return { store: SqliteStore.open({ dataDir, synchronous: 'NORMAL', ...opts }), dataDir };
}

test('read workers warm their caches before reporting ready, then answer searches', async () => {
  const { store, dataDir } = await seeded({ readWorkers: 2, prewarm: true });
  try {
    const warm = await store.ready();
    const fileBytes = fs.statSync(path.join(dataDir, 'vesta.sqlite')).size;
    // Two workers each read the whole (small) database into their own cache.
    assert.ok(warm.bytes >= fileBytes, `warmed ${warm.bytes} bytes of a ${fileBytes}-byte database with two workers`);
    const page = await store.search(byFamily('od'));
    assert.equal(page.total, 100);
    assert.equal(page.items.length, 10);
    assert.ok(refs(page.items).every((r) => Number(r.slice('Patient/p'.length)) % 2 === 1));
  } finally {
    await store.close();
  }
});

test('without prewarm the workers are ready at once and read nothing ahead', async () => {
  const { store } = await seeded({ readWorkers: 1, prewarm: false });
  try {
    assert.equal((await store.ready()).bytes, 0);
    assert.equal((await store.search(byFamily('even'))).total, 100);
  } finally {
    await store.close();
  }
});

test('a search sees a write acknowledged just before it, through a worker', async () => {
  const { store } = await seeded({ readWorkers: 2, prewarm: false });
  try {
    for (let i = 0; i < 20; i++) {
      await store.write(w(version('Patient', `new${i}`, 1, 300 + i), family(`fresh${i}`)), null);
      assert.deepEqual(refs((await store.search(byFamily(`fresh${i}`))).items), [`Patient/new${i}`]);
    }
  } finally {
    await store.close();
  }
});

test('an error raised in a worker reaches the caller as the same FhirError', async () => {
  const { store } = await seeded({ readWorkers: 1, prewarm: false });
  try {
    await assert.rejects(store.search({ ...byFamily('odd'), cursor: 'not-a-cursor' }), (err: unknown) => {
      assert.ok(err instanceof FhirError);
      assert.equal(err.status, 400);
      assert.equal(err.outcome.resourceType, 'OperationOutcome');
      return true;
    });
    assert.equal((await store.search(byFamily('odd'))).total, 100, 'the worker still answers afterwards');
  } finally {
    await store.close();
  }
});

test('prewarm stops at its budget and reads indexes before tables', async () => {
  const { store, dataDir } = await seeded({ readWorkers: 0, prewarm: false });
  await store.close();
  const db = new Database(path.join(dataDir, 'vesta.sqlite'), { readonly: true });
  try {
    db.pragma('mmap_size = 0');
    assert.deepEqual({ ...prewarm(db, 0), ms: 0 }, { bytes: 0, btrees: 0, ms: 0 });
    const one = prewarm(db, 1);
    assert.equal(one.btrees, 1, 'a budget of one byte stops after the first B-tree');
    const fresh = new Database(path.join(dataDir, 'vesta.sqlite'), { readonly: true });
    try {
      const whole = prewarm(fresh, 1 << 30);
      assert.ok(whole.btrees > 10, `read ${whole.btrees} B-trees`);
    } finally {
      fresh.close();
    }
  } finally {
    db.close();
  }
});

test('a read worker that dies is replaced, and searches go on', async () => {
  const { store } = await seeded({ readWorkers: 1, prewarm: false });
  try {
    await store.ready();
    // Reach the worker the way a crash would: from outside the protocol.
    const pool = (store as unknown as { pool: { slots: { worker: { terminate(): Promise<number> } }[] } }).pool;
    await pool.slots[0]!.worker.terminate();
    let total: number | undefined;
    for (let attempt = 0; attempt < 50 && total === undefined; attempt++) {
      try {
        total = (await store.search(byFamily('odd'))).total;
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // the replacement may still be opening its connection
      }
    }
    assert.equal(total, 100);
  } finally {
    await store.close();
  }
});
