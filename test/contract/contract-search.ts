import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceStore } from '../../src/store/port.js';
import type { StoreQuery } from '../../src/vocabulary/plan.js';
import { SEARCH_CASES, SEED, type SearchCase } from '../fixtures/store-search-cases.js';
import { refs, tombstone, version, w, type StoreFactory } from './contract-support.js';

/** Writes the shared seed: resource i at minute i; `deleted` ones get a tombstone with their rows gone. */
async function seed(store: ResourceStore): Promise<void> {
  let minute = 0;
  for (const r of SEED) {
    await store.write(w(version(r.type, r.id, 1, minute++), r.index), null);
    if (r.deleted === true) await store.write(w(tombstone(r.type, r.id, 2, minute++), r.index), '1');
  }
}

function queryOf(c: SearchCase, count: number, total: StoreQuery['total'] = 'accurate', cursor?: string): StoreQuery {
  return {
    types: c.types, sort: c.sort ?? [], count, total,
    ...(c.where === undefined ? {} : { where: c.where }), ...(cursor === undefined ? {} : { cursor }),
  };
}

/** Walks `next` from the first page, then `previous` back from the last page, two at a time. */
async function walk(store: ResourceStore, c: SearchCase): Promise<{ forward: string[]; backward: string[] }> {
  const forward: string[] = [];
  let page = await store.search(queryOf(c, 2, 'none'));
  assert.equal(page.previous, undefined, 'the first page has no previous link');
  forward.push(...refs(page.items));
  for (let guard = 0; page.next !== undefined && guard < 50; guard++) {
    page = await store.search(queryOf(c, 2, 'none', page.next));
    forward.push(...refs(page.items));
  }
  const backward: string[] = [...refs(page.items)];
  for (let guard = 0; page.previous !== undefined && guard < 50; guard++) {
    page = await store.search(queryOf(c, 2, 'none', page.previous));
    backward.unshift(...refs(page.items));
  }
  return { forward, backward };
}

/** Every case of test/fixtures/store-search-cases.ts, on one seeded store. */
export function searchCases(makeStore: StoreFactory): void {
  describe('cases from test/fixtures/store-search-cases.ts', () => {
    let store: ResourceStore;
    before(async () => {
      store = await makeStore();
      await seed(store);
    });
    after(() => store.close());

    for (const c of SEARCH_CASES) {
      it(`finds the expected resources for: ${c.name}`, async () => {
        const page = await store.search(queryOf(c, 100));
        const got = refs(page.items);
        if (c.ordered === true) assert.deepEqual(got, c.expect);
        else assert.deepEqual([...got].sort(), [...c.expect].sort());
        assert.equal(page.total, c.expect.length);
        assert.equal(page.next, undefined);
        const only = await store.search(queryOf(c, 0));
        assert.deepEqual(only.items, []);
        assert.equal(only.total, c.expect.length);
        assert.equal((await store.search(queryOf(c, 100, 'none'))).total, undefined);
        if (c.ordered === true) {
          const { forward, backward } = await walk(store, c);
          assert.deepEqual(forward, c.expect, 'pages forward in the same order');
          assert.deepEqual(backward, c.expect, 'pages backward in the same order');
        }
      });
    }
  });
}
