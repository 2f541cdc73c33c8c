import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { VersionConflict } from '../../src/store/port.js';
import type { IndexValue } from '../../src/vocabulary/index-values.js';
import { labels, version, w } from './contract-support.js';

// Writes inside a SQLite transaction carry no savepoint of their own (the statement journal it needs was the largest
// cost of a transaction Bundle's entry), so the store itself must keep a transaction all-or-nothing.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-sqlite-tx-writes-'));
let n = 0;
after(() => fs.rmSync(root, { recursive: true, force: true }));

const open = (): SqliteStore => SqliteStore.open({ dataDir: path.join(root, String(n++)) });
const token = (code: string): IndexValue => ({ kind: 'token', param: 'identifier', system: 'urn:test', code });
/** A date row SQLite refuses (its `low` column is NOT NULL): the write fails after its resource row is written. */
const refusedRow = { kind: 'date', param: 'birthdate', low: null, high: 1 } as unknown as IndexValue;
/** Twenty rows, so the write's index rows go in as multi-row INSERTs, as a real resource's do. */
const manyRows = (prefix: string): IndexValue[] => Array.from({ length: 20 }, (_, i) => token(`${prefix}-${i}`));

it('rolls a transaction back when one of its writes failed part-way, even if the work caught the error and went on', async () => {
  const store = open();
  try {
    await store.write(w(version('Patient', 'before', 1, 0), manyRows('before')), null);
    let caught: unknown;
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.write(w(version('Patient', 'a', 1, 1), manyRows('a')), null);
        try {
          await tx.write(w(version('Patient', 'broken', 1, 1), [...manyRows('broken'), refusedRow]), null);
        } catch (err) {
          caught = err;
        }
        await tx.write(w(version('Patient', 'b', 1, 1)), null);
        return 'went on';
      }),
      (err: unknown) => err === caught,
    );
    assert.ok(caught instanceof Error && /NOT NULL/.test(caught.message), String(caught));
    for (const id of ['a', 'broken', 'b']) assert.equal(await store.read('Patient', id), undefined, id);
    assert.deepEqual(labels((await store.history({}, { count: 10 })).items), ['Patient/before@1']);
    // The store goes on: the next transaction commits.
    await store.transaction(async (tx) => tx.write(w(version('Patient', 'after', 1, 2), manyRows('after')), null));
    assert.equal((await store.read('Patient', 'after'))?.versionId, '1');
  } finally {
    await store.close();
  }
});

it('commits the other writes of a transaction whose work caught a version conflict: a conflict changes nothing', async () => {
  const store = open();
  try {
    await store.write(w(version('Patient', 'x', 1, 0)), null);
    const result = await store.transaction(async (tx) => {
      await tx.write(w(version('Patient', 'a', 1, 1), manyRows('a')), null);
      await assert.rejects(tx.write(w(version('Patient', 'x', 1, 1), manyRows('x')), null), VersionConflict);
      await tx.write(w(version('Patient', 'x', 2, 1), manyRows('x2')), '1');
      return 'committed';
    });
    assert.equal(result, 'committed');
    assert.equal((await store.read('Patient', 'a'))?.versionId, '1');
    assert.equal((await store.read('Patient', 'x'))?.versionId, '2');
  } finally {
    await store.close();
  }
});

it('keeps a failed plain write from undoing the writes committed in the same group', async () => {
  const store = open();
  try {
    const results = await Promise.allSettled([
      store.write(w(version('Patient', 'g1', 1, 0), manyRows('g1')), null),
      store.write(w(version('Patient', 'bad', 1, 0), [...manyRows('bad'), refusedRow]), null),
      store.write(w(version('Patient', 'g2', 1, 0), manyRows('g2')), null),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(await store.read('Patient', 'bad'), undefined);
    assert.equal((await store.read('Patient', 'g1'))?.versionId, '1');
    assert.equal((await store.read('Patient', 'g2'))?.versionId, '1');
  } finally {
    await store.close();
  }
});
