/**
 * The checkpoint worker (src/store/sqlite/checkpointer.ts) copies committed WAL frames back into the database
 * file off the main thread, long before the writer's own automatic checkpoint would, and loses nothing.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createIndexer, createSearchRegistry } from '../../src/search/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredVersion } from '../../src/store/port.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-checkpointer-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const indexer = createIndexer(createSearchRegistry(), { baseUrl: 'http://vesta.test/fhir' });

/** Writes `n` Patients one commit each, so the WAL collects a few thousand frames. */
async function writePatients(store: SqliteStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const lastUpdated = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
    const resource = {
      resourceType: 'Patient', id: `p${i}`, meta: { versionId: '1', lastUpdated },
      name: [{ family: `Family${i}`, given: [`Given${i}`] }], birthDate: '1970-01-01', gender: i % 2 ? 'male' : 'female',
      identifier: [{ system: 'urn:example:mrn', value: `mrn-${i}` }],
    };
    const json = JSON.stringify(resource);
    const version: StoredVersion = { resourceType: 'Patient', id: resource.id, versionId: '1', lastUpdated, deleted: false, method: 'POST', json };
    await store.write({ version, index: indexer.extract(resource) }, null);
  }
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
});
