import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceStore } from '../../src/store/port.js';
import type { Clause, SortKey, StoreQuery } from '../../src/vocabulary/plan.js';
import { refs, version, w, withStore, type StoreFactory } from './contract-support.js';

const tag: Clause = { kind: 'token', param: { code: '_tag', type: 'token' }, code: 'x' };
const rows = (family: string) => [
  { kind: 'token' as const, param: '_tag', system: 'http://tags', code: 'x' },
  { kind: 'string' as const, param: 'family', value: family, exact: family },
];

async function walkWhileInserting(store: ResourceStore, sort: SortKey[], insert: (i: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  let i = 0;
  do {
    const q: StoreQuery = { types: ['Patient'], where: tag, sort, count: 3, total: 'none', ...(cursor ? { cursor } : {}) };
    const page = await store.search(q);
    seen.push(...refs(page.items));
    cursor = page.next;
    await insert(i++);
  } while (cursor !== undefined && i < 100);
  return seen;
}

/** Search paging stability, index replacement on update and delete, and cursor validation. */
export function searchPagingCases(makeStore: StoreFactory): void {
  it('returns every original match exactly once while new matches are created between pages', () =>
    withStore(makeStore, async (store) => {
      for (let i = 0; i < 10; i++) await store.write(w(version('Patient', `orig${i}`, 1, i), rows(`f${i}`)), null);
      const seen = await walkWhileInserting(store, [], (i) =>
        store.write(w(version('Patient', `new${i}`, 1, 20 + i), rows(`n${i}`)), null));
      for (let i = 0; i < 10; i++) assert.equal(seen.filter((r) => r === `Patient/orig${i}`).length, 1, `orig${i}`);
      assert.equal(new Set(seen).size, seen.length, 'no resource is returned twice');
    }));

  it('returns every original match exactly once in a sorted walk while others are created and updated', () =>
    withStore(makeStore, async (store) => {
      for (let i = 0; i < 10; i++) await store.write(w(version('Patient', `orig${i}`, 1, i), rows(`m${9 - i}`)), null);
      const sort: SortKey[] = [{ param: { code: 'family', type: 'string' }, descending: false }];
      const seen = await walkWhileInserting(store, sort, async (i) => {
        await store.write(w(version('Patient', `new${i}`, 1, 20 + i), rows(i % 2 === 0 ? 'a' : 'z')), null);
        await store.write(w(version('Basic', `noise${i}`, 1, 20 + i), rows('m')), null);
      });
      const originals = seen.filter((r) => r.startsWith('Patient/orig'));
      assert.deepEqual(originals, Array.from({ length: 10 }, (_, i) => `Patient/orig${9 - i}`));
      assert.equal(new Set(seen).size, seen.length, 'no resource is returned twice');
    }));

  it('replaces index rows on update and removes them on delete', () =>
    withStore(makeStore, async (store) => {
      const byFamily = (value: string): StoreQuery => ({
        types: ['Patient'], sort: [], count: 10, total: 'accurate',
        where: { kind: 'string', param: { code: 'family', type: 'string' }, mode: 'exact', value },
      });
      await store.write(w(version('Patient', 'p', 1, 0), rows('old')), null);
      await store.write(w(version('Patient', 'p', 2, 1), rows('new')), '1');
      assert.deepEqual(refs((await store.search(byFamily('old'))).items), []);
      assert.deepEqual(refs((await store.search(byFamily('new'))).items), ['Patient/p']);
      assert.equal((await store.search(byFamily('new'))).items[0]?.versionId, '2');
      await store.write(w({ ...version('Patient', 'p', 3, 2), deleted: true, method: 'DELETE', json: '' }, rows('new')), '2');
      assert.equal((await store.search(byFamily('new'))).total, 0);
      assert.equal((await store.search({ types: ['Patient'], sort: [], count: 10, total: 'accurate' })).total, 0);
    }));

  it('rejects a forged or mismatched search cursor instead of failing inside the store', () =>
    withStore(makeStore, async (store) => {
      for (let i = 0; i < 3; i++) await store.write(w(version('Patient', `p${i}`, 1, i), rows(`f${i}`)), null);
      const base: StoreQuery = { types: ['Patient'], sort: [], count: 1, total: 'none' };
      await assert.rejects(store.search({ ...base, cursor: "'); drop table resources;--" }));
      const first = await store.search(base);
      const sorted: StoreQuery = { ...base, sort: [{ param: { code: 'family', type: 'string' }, descending: true }] };
      await assert.rejects(store.search({ ...sorted, cursor: first.next! }));
      assert.equal((await store.search({ ...base, count: 10 })).items.length, 3);
    }));
}
