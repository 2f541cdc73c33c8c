import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryScope, ResourceStore } from '../../src/store/port.js';
import { at, labels, tombstone, version, w, withStore, type StoreFactory } from './contract-support.js';

/** Seeds: Patient/a v1@0 v2@2 v3(deleted)@5, Patient/b v1@1 v2@4, Observation/o v1@3. */
async function seed(store: ResourceStore): Promise<void> {
  await store.write(w(version('Patient', 'a', 1, 0)), null);
  await store.write(w(version('Patient', 'b', 1, 1)), null);
  await store.write(w(version('Patient', 'a', 2, 2)), '1');
  await store.write(w(version('Observation', 'o', 1, 3)), null);
  await store.write(w(version('Patient', 'b', 2, 4, {}, 'PATCH')), '1');
  await store.write(w(tombstone('Patient', 'a', 3, 5)), '2');
}

async function all(store: ResourceStore, scope: HistoryScope): Promise<string[]> {
  return labels((await store.history(scope, { count: 100 })).items);
}

/** History at instance, type and system level, `_since`, `_at`, and keyset paging in both directions. */
export function historyCases(makeStore: StoreFactory): void {
  it('lists the versions of one instance newest first, tombstone included', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      const page = await store.history({ resourceType: 'Patient', id: 'a' }, { count: 10 });
      assert.deepEqual(labels(page.items), ['Patient/a@3', 'Patient/a@2', 'Patient/a@1']);
      assert.deepEqual(page.items.map((v) => [v.method, v.deleted]), [['DELETE', true], ['PUT', false], ['POST', false]]);
      assert.equal(page.next, undefined);
      assert.equal(page.previous, undefined);
      if (page.total !== undefined) assert.equal(page.total, 3);
    }));

  it('lists the versions of one type, and of the whole system, newest first', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      assert.deepEqual(await all(store, { resourceType: 'Patient' }),
        ['Patient/a@3', 'Patient/b@2', 'Patient/a@2', 'Patient/b@1', 'Patient/a@1']);
      assert.deepEqual(await all(store, {}),
        ['Patient/a@3', 'Patient/b@2', 'Observation/o@1', 'Patient/a@2', 'Patient/b@1', 'Patient/a@1']);
      assert.deepEqual(await all(store, { resourceType: 'Encounter' }), []);
      assert.deepEqual(await all(store, { resourceType: 'Patient', id: 'missing' }), []);
    }));

  it('keeps only versions written at or after _since', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      assert.deepEqual(await all(store, { since: at(3) }), ['Patient/a@3', 'Patient/b@2', 'Observation/o@1']);
      assert.deepEqual(await all(store, { resourceType: 'Patient', id: 'a', since: at(2) }), ['Patient/a@3', 'Patient/a@2']);
      assert.deepEqual(await all(store, { since: at(60) }), []);
    }));

  it('returns with _at the newest version of each resource written at or before that instant', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      assert.deepEqual(await all(store, { at: at(3) }), ['Observation/o@1', 'Patient/a@2', 'Patient/b@1']);
      assert.deepEqual(await all(store, { resourceType: 'Patient', at: at(4) }), ['Patient/b@2', 'Patient/a@2']);
      assert.deepEqual(await all(store, { resourceType: 'Patient', id: 'a', at: at(1) }), ['Patient/a@1']);
      assert.deepEqual(await all(store, { at: at(9) }), ['Patient/a@3', 'Patient/b@2', 'Observation/o@1']);
      assert.deepEqual(await all(store, { at: '2023-01-01T00:00:00.000Z' }), []);
    }));

  it('accepts _since and _at instants without milliseconds', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      assert.deepEqual(await all(store, { since: '2024-01-01T00:04:00Z' }), ['Patient/a@3', 'Patient/b@2']);
    }));

  it('pages forward with next cursors and back with previous cursors, each version exactly once', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      const expected = await all(store, {});
      const pages: string[][] = [];
      let page = await store.history({}, { count: 4 });
      assert.equal(page.previous, undefined);
      pages.push(labels(page.items));
      while (page.next !== undefined) {
        page = await store.history({}, { count: 4, cursor: page.next });
        pages.push(labels(page.items));
      }
      assert.deepEqual(pages.flat(), expected);
      assert.deepEqual(pages.map((p) => p.length), [4, 2]);
      assert.ok(page.previous !== undefined);
      const back = await store.history({}, { count: 4, cursor: page.previous });
      assert.deepEqual(labels(back.items), pages[0]);
      assert.equal(back.previous, undefined);
      assert.ok(back.next !== undefined);
    }));

  it('pages through versions that share one lastUpdated instant without losing or repeating any', () =>
    withStore(makeStore, async (store) => {
      for (let i = 0; i < 7; i++) await store.write(w(version('Patient', `s${i}`, 1, 10)), null);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.history({ resourceType: 'Patient' }, { count: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...labels(page.items));
        cursor = page.next;
      } while (cursor !== undefined);
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen).size, 7);
    }));

  it('sees versions written after the first page when paging on, without repeating earlier ones', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      const first = await store.history({ resourceType: 'Patient' }, { count: 2 });
      await store.write(w(version('Patient', 'late', 1, 30)), null);
      const rest = await store.history({ resourceType: 'Patient' }, { count: 10, cursor: first.next! });
      assert.deepEqual([...labels(first.items), ...labels(rest.items)],
        ['Patient/a@3', 'Patient/b@2', 'Patient/a@2', 'Patient/b@1', 'Patient/a@1']);
    }));

  it('rejects a forged history cursor instead of failing inside the store', () =>
    withStore(makeStore, async (store) => {
      await seed(store);
      await assert.rejects(store.history({}, { count: 2, cursor: "'); drop table versions;--" }));
      assert.equal((await all(store, {})).length, 6);
    }));
}
