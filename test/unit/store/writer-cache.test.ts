/**
 * The write connection's page cache stays small while the database is below SQLite's pending-byte page (1 GiB),
 * where a large cache makes every COMMIT walk it (src/store/sqlite/writer-cache.ts), and grows once past it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { WriterCache } from '../../../src/store/sqlite/writer-cache.js';

/** A stand-in for a database of `bytes` bytes that records the cache sizes set on it. */
function fakeDb(bytes: () => number) {
  const set: number[] = [];
  const db = {
    pragma(text: string) {
      if (text === 'page_size') return 4096;
      if (text === 'page_count') return Math.ceil(bytes() / 4096);
      const m = /^cache_size = (-?\d+)$/.exec(text);
      if (!m) throw new Error(`unexpected pragma ${text}`);
      set.push(Number(m[1]));
      return [];
    },
  };
  return { db: db as unknown as Database.Database, set };
}

describe('writer page cache', () => {
  test('a new database file gets the small cache', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-writer-cache-'));
    const db = new Database(path.join(dir, 'x.sqlite'));
    try {
      const cache = new WriterCache(db);
      assert.equal(cache.mib, 16);
      assert.equal(db.pragma('cache_size', { simple: true }), -16 * 1024);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('switches to the large cache once the file has grown past 1 GiB, checking every 256 commits', () => {
    let size = 100 * 1024 * 1024;
    const { db, set } = fakeDb(() => size);
    const cache = new WriterCache(db);
    assert.deepEqual(set, [-16 * 1024]);
    size = 1.5 * 1024 ** 3;
    for (let i = 0; i < 255; i++) cache.committed();
    assert.equal(cache.mib, 16, 'not checked before the 256th commit');
    cache.committed();
    assert.equal(cache.mib, 128);
    assert.deepEqual(set, [-16 * 1024, -128 * 1024]);
    for (let i = 0; i < 1000; i++) cache.committed();
    assert.equal(set.length, 2, 'set once');
  });

  test('a database already past 1 GiB starts with the large cache', () => {
    const { db, set } = fakeDb(() => 2 * 1024 ** 3);
    assert.equal(new WriterCache(db).mib, 128);
    assert.deepEqual(set, [-128 * 1024]);
  });
});
