/**
 * The checkpoint worker (src/store/sqlite/checkpointer.ts) copies committed WAL frames back into the database
 * file off the main thread, long before the writer's own automatic checkpoint would, and loses nothing; and it keeps
 * the WAL file within `walLimitMiB` (plus one commit) under write bursts with long reads in between, and empty once
 * writes stop.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createIndexer, createSearchRegistry } from '../../src/search/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredVersion } from '../../src/store/port.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-checkpointer-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const indexer = createIndexer(createSearchRegistry(), { baseUrl: 'http://vesta.test/fhir' });

/**
 * Writes `n` Patients one commit each, so the WAL collects a few thousand frames; returns the longest write in ms.
 * `afterEach` runs after each write.
 */
async function writePatients(store: SqliteStore, n: number, afterEach?: () => void): Promise<number> {
  let longest = 0;
  for (let i = 0; i < n; i++) {
    const lastUpdated = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
    const resource = {
      resourceType: 'Patient', id: `p${i}`, meta: { versionId: '1', lastUpdated },
      name: [{ family: `Family${i}`, given: [`Given${i}`] }], birthDate: '1970-01-01', gender: i % 2 ? 'male' : 'female',
      identifier: [{ system: 'urn:example:mrn', value: `mrn-${i}` }],
    };
    const json = JSON.stringify(resource);
    const version: StoredVersion = { resourceType: 'Patient', id: resource.id, versionId: '1', lastUpdated, deleted: false, method: 'POST', json };
    const start = performance.now();
    await store.write({ version, index: indexer.extract(resource) }, null);
    longest = Math.max(longest, performance.now() - start);
    afterEach?.();
  }
  return longest;
}

/** WAL frames written and copied back, read without checkpointing. */
function walState(file: string): { log: number; checkpointed: number } {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[])[0]!;
  } finally {
    db.close();
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('SQLite checkpoint worker', () => {
  test('without it, the frames wait in the WAL for the writer (the control case)', async () => {
    const dataDir = path.join(root, 'plain');
    const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL' });
    try {
      await writePatients(store, 150);
      const s = walState(path.join(dataDir, 'vesta.sqlite'));
      assert.ok(s.log >= 4000, `the writes produced ${s.log} WAL frames`);
      assert.ok(s.log < 8000, 'below the writer\'s own automatic checkpoint');
      assert.equal(s.checkpointed, 0);
    } finally {
      await store.close();
    }
  });

  test('with it, frames are copied back while writes go on, and nothing is lost across a reopen', async () => {
    const dataDir = path.join(root, 'worker');
    const file = path.join(dataDir, 'vesta.sqlite');
    const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL', checkpointWorker: true });
    try {
      await writePatients(store, 150);
      const copied = await until(() => {
        const s = walState(file);
        return s.checkpointed > 0 && s.log - s.checkpointed < 4000;
      }, 5000);
      assert.ok(copied, `WAL after the writes: ${JSON.stringify(walState(file))}`);
    } finally {
      await store.close();
    }
    const reopened = SqliteStore.open({ dataDir, synchronous: 'NORMAL', checkpointWorker: true });
    try {
      for (const i of [0, 74, 149]) assert.equal((await reopened.read('Patient', `p${i}`))?.versionId, '1');
    } finally {
      await reopened.close();
    }
  });

  test('under steady writes the WAL restarts before the writer\'s own automatic checkpoint (8,000 frames) is due', async () => {
    const dataDir = path.join(root, 'steady');
    const file = path.join(dataDir, 'vesta.sqlite');
    const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL', checkpointWorker: true });
    const seen: number[] = [];
    try {
      // About 27 frames a write: the WAL passes 6,000 frames three times or more.
      await writePatients(store, 700, () => seen.push(walState(file).log));
    } finally {
      await store.close();
    }
    const restarts = seen.filter((log, i) => i > 0 && log < seen[i - 1]!).length;
    assert.ok(restarts >= 2, `the WAL restarted ${restarts} times (frames after each write: ${seen.filter((_, i) => i % 50 === 0).join(' ')})`);
    // Restarted just past 6,000 frames (RESTART_PAGES) every time: the writer never reached its own checkpoint's 8,000.
    assert.ok(Math.max(...seen) < 7000, `the WAL held up to ${Math.max(...seen)} frames`);
    const reopened = SqliteStore.open({ dataDir, synchronous: 'NORMAL' });
    try {
      for (const i of [0, 350, 699]) assert.equal((await reopened.read('Patient', `p${i}`))?.versionId, '1');
    } finally {
      await reopened.close();
    }
  });
});

/** The -wal file's size in bytes (0 when there is none). */
function walBytes(file: string): number {
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * Writes a burst of `n` creates while another thread keeps overlapping read transactions open (long-reader-worker.ts),
 * so some reader always predates the last commit: the case that keeps a WAL from restarting. Returns the largest
 * -wal size seen (bytes) and the longest write (ms).
 */
async function burstWithLongReads(store: SqliteStore, file: string, n: number, holdMs: number): Promise<{ maxWal: number; longestWriteMs: number }> {
  const reader = new Worker(new URL('../support/long-reader-worker.js', import.meta.url), { workerData: { file, holdMs } });
  const done = new Promise((resolve, reject) => {
    reader.on('message', resolve);
    reader.on('error', reject);
  });
  let max = 0;
  let longestWriteMs = 0;
  const sampler = setInterval(() => (max = Math.max(max, walBytes(file))), 5);
  try {
    await new Promise((r) => setTimeout(r, holdMs)); // both readers are in turn
    longestWriteMs = await writePatients(store, n);
  } finally {
    reader.postMessage('stop');
    await done;
    await reader.terminate();
    clearInterval(sampler);
  }
  return { maxWal: Math.max(max, walBytes(file)), longestWriteMs };
}

describe('the WAL under write bursts with long reads', () => {
  const MiB = 1048576;
  const limitMiB = 4;
  let control = 0;

  test('without the checkpoint worker, overlapping reads let the WAL grow to many times the database (the control case)', async () => {
    const dataDir = path.join(root, 'burst-plain');
    const file = path.join(dataDir, 'vesta.sqlite');
    const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL', walLimitMiB: limitMiB });
    try {
      control = (await burstWithLongReads(store, file, 2000, 200)).maxWal;
      const db = fs.statSync(file).size;
      assert.ok(control > 4 * db, `largest WAL ${(control / MiB).toFixed(1)} MiB, database ${(db / MiB).toFixed(1)} MiB`);
      // Nothing brings it back: the file keeps its peak size.
      assert.ok(walBytes(file) > 4 * db);
    } finally {
      await store.close();
    }
  });

  test('with it, the WAL stays within walLimitMiB plus one commit during a burst of 2,000 creates, and is emptied once idle', async (t) => {
    const dataDir = path.join(root, 'burst-worker');
    const file = path.join(dataDir, 'vesta.sqlite');
    const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL', checkpointWorker: true, walLimitMiB: limitMiB });
    try {
      const { maxWal: max, longestWriteMs } = await burstWithLongReads(store, file, 2000, 200);
      const db = fs.statSync(file).size;
      const seen = `largest WAL ${(max / MiB).toFixed(2)} MiB (limit ${limitMiB} MiB, control ${(control / MiB).toFixed(1)} MiB), `
        + `database ${(db / MiB).toFixed(1)} MiB, longest write ${longestWriteMs.toFixed(0)} ms`;
      t.diagnostic(seen);
      // The commit that takes the WAL past the limit holds the next ones until it has restarted, which the 200 ms reads
      // allow well within the 1 s a restart may hold writes: the limit plus one commit (a create here is under 0.2 MiB).
      assert.ok(max <= 1.25 * limitMiB * MiB, seen);
      // A restart holds writes 1 s at most (2 s if the checkpoint thread stops answering), however long the reads.
      assert.ok(longestWriteMs < 2000, seen);
      assert.ok(await until(() => walBytes(file) <= limitMiB * MiB, 5000), `after the burst: ${walBytes(file)} bytes; ${seen}`);
      assert.ok(await until(() => walBytes(file) === 0, 5000), `the idle WAL is truncated: ${walBytes(file)} bytes`);
      assert.equal((await store.read('Patient', 'p1999'))?.versionId, '1');
    } finally {
      await store.close();
    }
  });
});
