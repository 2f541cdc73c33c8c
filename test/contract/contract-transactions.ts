import { it } from 'node:test';
import assert from 'node:assert/strict';
import { VersionConflict } from '../../src/store/port.js';
import { labels, sleep, version, w, withStore, type StoreFactory } from './contract-support.js';

/** Transactions: commit, rollback, isolation from outside readers, serialization. */
export function transactionCases(makeStore: StoreFactory): void {
  it('commits every write of a transaction together and returns the work result', () =>
    withStore(makeStore, async (store) => {
      const result = await store.transaction(async (tx) => {
        await tx.write(w(version('Patient', 'a', 1, 0)), null);
        await tx.write(w(version('Patient', 'b', 1, 0)), null);
        await tx.write(w(version('Patient', 'a', 2, 1)), '1');
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await store.read('Patient', 'a'))?.versionId, '2');
      assert.equal((await store.read('Patient', 'b'))?.versionId, '1');
      const h = await store.history({ resourceType: 'Patient', id: 'a' }, { count: 10 });
      assert.deepEqual(labels(h.items), ['Patient/a@2', 'Patient/a@1']);
    }));

  it('rolls back everything and rethrows the same error when the work throws', () =>
    withStore(makeStore, async (store) => {
      await store.write(w(version('Patient', 'keep', 1, 0)), null);
      const boom = new Error('boom');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.write(w(version('Patient', 'new', 1, 1)), null);
          await tx.write(w(version('Patient', 'keep', 2, 1)), '1');
          await sleep(5);
          throw boom;
        }),
        (err: unknown) => err === boom,
      );
      assert.equal(await store.read('Patient', 'new'), undefined);
      assert.equal((await store.read('Patient', 'keep'))?.versionId, '1');
      assert.deepEqual(labels((await store.history({}, { count: 10 })).items), ['Patient/keep@1']);
      await store.write(w(version('Patient', 'keep', 2, 2)), '1');
    }));

  it('rolls back the earlier writes when a write inside the transaction hits a version conflict', () =>
    withStore(makeStore, async (store) => {
      await store.write(w(version('Patient', 'a', 1, 0)), null);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.write(w(version('Patient', 'b', 1, 1)), null);
          await tx.write(w(version('Patient', 'a', 1, 1)), null);
        }),
        VersionConflict,
      );
      assert.equal(await store.read('Patient', 'b'), undefined);
    }));

  it('lets the work read its own writes while readers outside see only committed data', () =>
    withStore(makeStore, async (store) => {
      await store.write(w(version('Patient', 'a', 1, 0)), null);
      let outsideDuring: (string | undefined)[] = [];
      await store.transaction(async (tx) => {
        await tx.write(w(version('Patient', 'a', 2, 1)), '1');
        await tx.write(w(version('Patient', 'b', 1, 1)), null);
        assert.equal((await tx.read('Patient', 'a'))?.versionId, '2');
        assert.equal((await tx.vread('Patient', 'b', '1'))?.id, 'b');
        assert.equal((await tx.read('Patient', 'b'))?.versionId, '1');
        await sleep(5);
        outsideDuring = [
          (await store.read('Patient', 'a'))?.versionId,
          (await store.read('Patient', 'b'))?.versionId,
          String((await store.history({}, { count: 10 })).items.length),
        ];
      });
      assert.deepEqual(outsideDuring, ['1', undefined, '1']);
      assert.equal((await store.read('Patient', 'b'))?.versionId, '1');
    }));

  it('runs concurrent transactions one after the other so read-modify-write never conflicts', () =>
    withStore(makeStore, async (store) => {
      await store.write(w(version('Basic', 'counter', 1, 0)), null);
      const events: string[] = [];
      const bump = (name: string) =>
        store.transaction(async (tx) => {
          events.push(`${name} start`);
          const cur = await tx.read('Basic', 'counter');
          await sleep(10);
          const next = Number(cur!.versionId) + 1;
          await tx.write(w(version('Basic', 'counter', next, next)), cur!.versionId);
          events.push(`${name} end`);
        });
      await Promise.all([bump('x'), bump('y'), bump('z')]);
      assert.equal((await store.read('Basic', 'counter'))?.versionId, '4');
      assert.deepEqual(events, ['x start', 'x end', 'y start', 'y end', 'z start', 'z end']);
    }));

  it('makes a plain write issued during a transaction wait until the transaction ends', () =>
    withStore(makeStore, async (store) => {
      const order: string[] = [];
      let outside: Promise<void> | undefined;
      await store.transaction(async (tx) => {
        outside = store.write(w(version('Patient', 'outside', 1, 1)), null).then(() => { order.push('outside'); });
        await sleep(10);
        await tx.write(w(version('Patient', 'inside', 1, 1)), null);
        order.push('inside');
      });
      await outside;
      assert.deepEqual(order, ['inside', 'outside']);
      assert.equal((await store.read('Patient', 'outside'))?.versionId, '1');
    }));

  it('runs a nested transaction inline, as part of the enclosing one', () =>
    withStore(makeStore, async (store) => {
      await assert.rejects(store.transaction(async (tx) => {
        await tx.transaction(async (inner) => {
          await inner.write(w(version('Patient', 'nested', 1, 0)), null);
        });
        assert.equal((await tx.read('Patient', 'nested'))?.versionId, '1');
        throw new Error('undo');
      }));
      assert.equal(await store.read('Patient', 'nested'), undefined);
    }));
}
