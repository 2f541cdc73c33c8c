import { it } from 'node:test';
import assert from 'node:assert/strict';
import { VersionConflict } from '../../src/store/port.js';
import { labels, tombstone, version, w, withStore, type StoreFactory } from './contract-support.js';

/** Write, read, vread, version conflicts and tombstones. */
export function crudCases(makeStore: StoreFactory): void {
  it('returns exactly the written version from read, with the JSON text unchanged', () =>
    withStore(makeStore, async (store) => {
      const v1 = version('Patient', 'p1', 1, 0, { name: [{ family: 'Łukasz "quoted" \\ \u{1F600}' }] });
      await store.write(w(v1), null);
      assert.deepEqual(await store.read('Patient', 'p1'), v1);
    }));

  it('returns undefined for an id that was never written', () =>
    withStore(makeStore, async (store) => {
      assert.equal(await store.read('Patient', 'nope'), undefined);
      assert.equal(await store.vread('Patient', 'nope', '1'), undefined);
    }));

  it('keeps the same id under different resource types apart', () =>
    withStore(makeStore, async (store) => {
      await store.write(w(version('Patient', 'x', 1, 0)), null);
      await store.write(w(version('Observation', 'x', 1, 1)), null);
      assert.equal((await store.read('Patient', 'x'))?.resourceType, 'Patient');
      assert.equal((await store.read('Observation', 'x'))?.lastUpdated, version('Observation', 'x', 1, 1).lastUpdated);
    }));

  it('makes an update current while vread still returns every earlier version', () =>
    withStore(makeStore, async (store) => {
      const v1 = version('Patient', 'p1', 1, 0, { active: true });
      const v2 = version('Patient', 'p1', 2, 1, { active: false });
      await store.write(w(v1), null);
      await store.write(w(v2), '1');
      assert.deepEqual(await store.read('Patient', 'p1'), v2);
      assert.deepEqual(await store.vread('Patient', 'p1', '1'), v1);
      assert.deepEqual(await store.vread('Patient', 'p1', '2'), v2);
      assert.equal(await store.vread('Patient', 'p1', '3'), undefined);
    }));

  it('rejects a create on an existing id with a VersionConflict naming the current version, changing nothing', () =>
    withStore(makeStore, async (store) => {
      const v1 = version('Patient', 'p1', 1, 0);
      await store.write(w(v1), null);
      await assert.rejects(store.write(w(version('Patient', 'p1', 1, 5, { active: true })), null), (err: unknown) => {
        assert.ok(err instanceof VersionConflict);
        assert.equal(err.actual, '1');
        assert.equal(err.resourceType, 'Patient');
        assert.equal(err.id, 'p1');
        return true;
      });
      assert.deepEqual(await store.read('Patient', 'p1'), v1);
      const h = await store.history({ resourceType: 'Patient', id: 'p1' }, { count: 10 });
      assert.deepEqual(labels(h.items), ['Patient/p1@1']);
    }));

  it('rejects an update whose expected version is not the current one', () =>
    withStore(makeStore, async (store) => {
      await store.write(w(version('Patient', 'p1', 1, 0)), null);
      await store.write(w(version('Patient', 'p1', 2, 1)), '1');
      await assert.rejects(store.write(w(version('Patient', 'p1', 2, 2)), '1'), (err: unknown) => {
        assert.ok(err instanceof VersionConflict);
        assert.equal(err.actual, '2');
        return true;
      });
      assert.equal((await store.read('Patient', 'p1'))?.lastUpdated, version('Patient', 'p1', 2, 1).lastUpdated);
    }));

  it('rejects an update that expects a version of an id never written, reporting actual null', () =>
    withStore(makeStore, async (store) => {
      await assert.rejects(store.write(w(version('Patient', 'ghost', 2, 0)), '1'), (err: unknown) => {
        assert.ok(err instanceof VersionConflict);
        assert.equal(err.actual, null);
        return true;
      });
      assert.equal(await store.read('Patient', 'ghost'), undefined);
    }));

  it('returns a tombstone after a delete and lets the id be written again against the tombstone version', () =>
    withStore(makeStore, async (store) => {
      await store.write(w(version('Patient', 'p1', 1, 0)), null);
      const t = tombstone('Patient', 'p1', 2, 1);
      await store.write(w(t), '1');
      assert.deepEqual(await store.read('Patient', 'p1'), t);
      await assert.rejects(store.write(w(version('Patient', 'p1', 1, 2)), null), VersionConflict);
      const v3 = version('Patient', 'p1', 3, 3);
      await store.write(w(v3), '2');
      assert.deepEqual(await store.read('Patient', 'p1'), v3);
      assert.deepEqual(await store.vread('Patient', 'p1', '2'), t);
    }));

  it('answers ping and can be closed twice', async () => {
    const store = await makeStore();
    assert.equal(await store.ping(), true);
    await store.close();
    await store.close();
  });
}
