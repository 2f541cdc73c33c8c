import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { VersionConflict } from '../../src/store/port.js';
import type { StoredVersion, VersionWrite } from '../../src/store/port.js';
import type { IndexValue } from '../../src/vocabulary/index-values.js';

/**
 * Large writes on SQLite (issue 10 item 6): a version with many index rows, or a long JSON text, is written in steps
 * that let the event loop run in between, in a transaction of its own; readers see all of it or nothing.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-sqlite-large-'));
let n = 0;
after(() => fs.rmSync(root, { recursive: true, force: true }));

function open(): { store: SqliteStore; file: string } {
  const dataDir = path.join(root, String(n++));
  return { store: SqliteStore.open({ dataDir, synchronous: 'NORMAL' }), file: path.join(dataDir, 'vesta.sqlite') };
}

const rows = (count: number, prefix = 'c'): IndexValue[] =>
  Array.from({ length: count }, (_, i) => ({ kind: 'token', param: 'code', system: 'http://example.org', code: `${prefix}${i}` }));

function version(id: string, versionId: string, json = `{"resourceType":"CodeSystem","id":"${id}"}`): StoredVersion {
  return { resourceType: 'CodeSystem', id, versionId, lastUpdated: '2024-01-01T00:00:00.000Z', deleted: false, method: 'PUT', json };
}

/** Index rows stored for the resource, counted on a connection of its own (committed data only). */
function storedRows(file: string, id: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM idx_token WHERE rid = (SELECT rid FROM resources WHERE type = 'CodeSystem' AND id = ?)").get(id) as { n: number }).n;
  } finally {
    db.close();
  }
}

test('a version with many index rows is written whole while timers keep running, and readers see it only once complete', async () => {
  const { store, file } = open();
  try {
    const w: VersionWrite = { version: version('big', '1'), index: rows(30_000) };
    let ticks = 0;
    let seenEarly = false;
    const timer = setInterval(() => {
      ticks++;
      // A reader between two steps sees nothing of the write, or all of it.
      void store.read('CodeSystem', 'big').then((v) => {
        if (v !== undefined && storedRows(file, 'big') !== 30_000) seenEarly = true;
      });
    }, 1);
    try {
      await store.write(w, null);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'the event loop ran during the write');
    assert.equal(seenEarly, false);
    assert.equal(storedRows(file, 'big'), 30_000);
    assert.equal((await store.read('CodeSystem', 'big'))?.versionId, '1');
  } finally {
    await store.close();
  }
});

test('updating or deleting a large version replaces or removes all its rows', async () => {
  const { store, file } = open();
  try {
    await store.write({ version: version('cs', '1'), index: rows(20_000) }, null);
    // A small version replacing a large one: the caller says how large the old one was.
    await store.write({ version: version('cs', '2'), index: rows(10, 'x'), replacedSize: 5_000_000 }, '1');
    assert.equal(storedRows(file, 'cs'), 10);
    await store.write({ version: version('cs', '3'), index: rows(12_000, 'y') }, '2');
    assert.equal(storedRows(file, 'cs'), 12_000);
    const tombstone: StoredVersion = { ...version('cs', '4'), deleted: true, method: 'DELETE', json: '' };
    await store.write({ version: tombstone, index: [], replacedSize: 5_000_000 }, '3');
    assert.equal(storedRows(file, 'cs'), 0);
    assert.equal((await store.read('CodeSystem', 'cs'))?.deleted, true);
  } finally {
    await store.close();
  }
});

test('a large write with the wrong expected version fails with VersionConflict and writes nothing', async () => {
  const { store, file } = open();
  try {
    await store.write({ version: version('cs', '1'), index: rows(5) }, null);
    await assert.rejects(store.write({ version: version('cs', '2'), index: rows(20_000) }, '7'), VersionConflict);
    await assert.rejects(store.write({ version: version('cs', '1'), index: rows(20_000) }, null), VersionConflict);
    assert.equal(storedRows(file, 'cs'), 5);
    assert.equal((await store.read('CodeSystem', 'cs'))?.versionId, '1');
  } finally {
    await store.close();
  }
});

test('a long JSON text is stored as sent, and small writes queued meanwhile commit after it', async () => {
  const { store } = open();
  try {
    const json = `{"resourceType":"CodeSystem","id":"long","description":"${'d'.repeat(3_000_000)}"}`;
    const large = store.write({ version: version('long', '1', json), index: rows(3) }, null);
    const small = store.write({ version: version('small', '1'), index: rows(3) }, null);
    await Promise.all([large, small]);
    assert.equal((await store.read('CodeSystem', 'long'))?.json, json);
    assert.equal((await store.read('CodeSystem', 'small'))?.versionId, '1');
  } finally {
    await store.close();
  }
});

test('a large write inside a transaction is undone with the transaction', async () => {
  const { store, file } = open();
  try {
    await assert.rejects(store.transaction(async (tx) => {
      await tx.write({ version: version('a', '1'), index: rows(20_000) }, null);
      assert.equal((await tx.read('CodeSystem', 'a'))?.versionId, '1');
      throw new Error('abort');
    }), /abort/);
    assert.equal(await store.read('CodeSystem', 'a'), undefined);
    assert.equal(storedRows(file, 'a'), 0);
    // A failing large write inside a transaction undoes itself only; the transaction may go on.
    await store.transaction(async (tx) => {
      await tx.write({ version: version('b', '1'), index: rows(3) }, null);
      await assert.rejects(tx.write({ version: version('b', '2'), index: rows(20_000) }, '9'), VersionConflict);
      await tx.write({ version: version('c', '1'), index: rows(20_000) }, null);
    });
    assert.equal(storedRows(file, 'b'), 3);
    assert.equal(storedRows(file, 'c'), 20_000);
  } finally {
    await store.close();
  }
});
