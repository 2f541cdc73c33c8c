import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VersionConflict } from '../../src/store/port.js';
import { currentDoc, historyDoc } from '../../src/store/mongo/documents.js';
import { HISTORY } from '../../src/store/mongo/mongo-store.js';
import type { MongoStore } from '../../src/store/mongo/mongo-store.js';
import { labels, version, w } from './contract-support.js';

/**
 * The MongoDB store's three-step write (mongo-store.ts): concurrent writers of one version never both win, and a
 * writer that dies between steps leaves nothing visible that is inconsistent, and is finished by the next writer.
 * A dead writer is simulated by writing its steps' documents directly.
 */
export function describeWriteSteps(name: string, makeStore: () => Promise<MongoStore>): void {
  describe(`${name}: MongoDB write steps`, () => {
    test('sixteen concurrent updates of one version: exactly one wins, the others get VersionConflict', async () => {
      const store = await makeStore();
      try {
        await store.write(w(version('Patient', 'race', 1, 0)), null);
        const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) =>
          store.write(w(version('Patient', 'race', 2, 1, { active: i % 2 === 0, i })), '1')));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof VersionConflict, String(r.reason));
        const h = await store.history({ resourceType: 'Patient', id: 'race' }, { count: 10 });
        assert.deepEqual(labels(h.items), ['Patient/race@2', 'Patient/race@1']);
        assert.equal((await store.read('Patient', 'race'))?.json, h.items[0]?.json);
      } finally {
        await store.close();
      }
    });


    test('many writers at once, each creating then updating its own resource: every write succeeds (FerretDB collisions are sent again)', async () => {
      const store = await makeStore();
      try {
        const ids = Array.from({ length: 300 }, (_, i) => `busy-${i}`);
        await Promise.all(ids.map(async (id) => {
          await store.write(w(version('Patient', id, 1, 0)), null);
          await store.write(w(version('Patient', id, 2, 1, { active: true })), '1');
        }));
        for (const id of ids) assert.equal((await store.read('Patient', id))?.versionId, '2', id);
      } finally {
        await store.close();
      }
    });
    test('a writer dead after its claim: its version stays invisible, and the next writer finishes it first', async () => {
      const store = await makeStore();
      try {
        await store.write(w(version('Patient', 'd1', 1, 0)), null);
        const v2 = version('Patient', 'd1', 2, 1, { active: true });
        // Step 1 only: the claim, carrying the current document it would install.
        await store.db.collection(HISTORY).insertOne({ ...historyDoc(v2, 1e9), next: currentDoc(v2, [], 1) } as never);
        assert.equal((await store.read('Patient', 'd1'))?.versionId, '1');
        assert.equal(await store.vread('Patient', 'd1', '2'), undefined);
        assert.deepEqual(labels((await store.history({ resourceType: 'Patient', id: 'd1' }, { count: 10 })).items), ['Patient/d1@1']);
        await assert.rejects(store.write(w(version('Patient', 'd1', 2, 2)), '1'), (e: unknown) => e instanceof VersionConflict && e.actual === '2');
        assert.deepEqual(await store.read('Patient', 'd1'), v2);
        assert.deepEqual(labels((await store.history({ resourceType: 'Patient', id: 'd1' }, { count: 10 })).items), ['Patient/d1@2', 'Patient/d1@1']);
        await store.write(w(version('Patient', 'd1', 3, 3)), '2');
      } finally {
        await store.close();
      }
    });

    test('a claim made a moment ago is finished by another writer only where a conditional replace is atomic', async () => {
      const store = await makeStore();
      try {
        await store.write(w(version('Patient', 'live', 1, 0)), null);
        const v2 = version('Patient', 'live', 2, 1, { active: true });
        const claim = { ...historyDoc(v2, 1e9), next: currentDoc(v2, [], 1) };
        await store.db.collection(HISTORY).insertOne({ ...claim, cl: Date.now() } as never);
        await assert.rejects(store.write(w(version('Patient', 'live', 2, 2)), '1'), (e: unknown) => e instanceof VersionConflict);
        // FerretDB: left to its (presumably live) writer; elsewhere finished at once.
        const atomic = store.server.kind !== 'FerretDB';
        assert.equal((await store.read('Patient', 'live'))?.versionId, atomic ? '2' : '1');
        if (!atomic) {
          // Once old enough, its writer is presumed dead and the next writer finishes it.
          await store.db.collection(HISTORY).updateOne({ _id: claim._id as never }, { $set: { cl: Date.now() - 60_000 } });
          await assert.rejects(store.write(w(version('Patient', 'live', 2, 2)), '1'), (e: unknown) => e instanceof VersionConflict);
          assert.deepEqual(await store.read('Patient', 'live'), v2);
        }
      } finally {
        await store.close();
      }
    });

    test('a writer dead after installing: its version is visible in read, vread and history alike', async () => {
      const store = await makeStore();
      try {
        await store.write(w(version('Patient', 'd2', 1, 0)), null);
        const v2 = version('Patient', 'd2', 2, 1, { active: false });
        const doc = currentDoc(v2, [], 1);
        await store.db.collection(HISTORY).insertOne({ ...historyDoc(v2, 1e9), next: doc } as never);
        await store.db.collection('Patient').replaceOne({ _id: 'd2' as never }, doc);
        assert.deepEqual(await store.read('Patient', 'd2'), v2);
        assert.deepEqual(await store.vread('Patient', 'd2', '2'), v2);
        assert.deepEqual(labels((await store.history({ resourceType: 'Patient', id: 'd2' }, { count: 10 })).items), ['Patient/d2@2', 'Patient/d2@1']);
      } finally {
        await store.close();
      }
    });
  });
}
