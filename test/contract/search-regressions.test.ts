/**
 * Small, deterministic reproductions of disagreements found by the search oracle (test/contract/search-oracle.ts).
 * Each case states the answer FHIR R4 search.html requires and checks it on both the in-memory matcher
 * (src/search/match.ts) and the SQLite store, so it names the side that is wrong while it fails.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createIndexer, createSearchRegistry, matches, memoryMatchContext, parseSearch, type MatchResource } from '../../src/search/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredVersion } from '../../src/store/port.js';
import { ORACLE_BASE } from './oracle-pools.js';
import { walkPages } from './oracle-compare.js';
import { ALL_SEARCH_FEATURES } from '../support/search-capabilities.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-search-regressions-'));
let n = 0;
after(() => fs.rmSync(root, { recursive: true, force: true }));

const registry = createSearchRegistry();
const indexer = createIndexer(registry, { baseUrl: ORACLE_BASE });
const opts = { baseUrl: ORACLE_BASE, strict: true, defaultCount: 50, maxCount: 100, now: Date.parse('2025-06-01T12:00:00Z'), capabilities: ALL_SEARCH_FEATURES };

type Resource = MatchResource & { id: string; [k: string]: unknown };

/** The ids `type?query` returns from the matcher and from a fresh SQLite store holding `resources`. */
async function bothSides(resources: Resource[], type: string, query: [string, string][]): Promise<{ oracle: string[]; store: string[] }> {
  const plan = parseSearch(registry, [type], query, opts);
  const ctx = memoryMatchContext(indexer, resources);
  const oracle = resources.filter((r) => r.resourceType === type && (plan.where === undefined || matches(plan.where, r, ctx))).map((r) => r.id).sort();
  const store = SqliteStore.open({ dataDir: path.join(root, String(n++)) });
  try {
    for (const r of resources) {
      const lastUpdated = '2024-05-01T10:00:00.000Z';
      const json = JSON.stringify({ ...r, meta: { versionId: '1', lastUpdated } });
      const v: StoredVersion = { resourceType: r.resourceType, id: r.id, versionId: '1', lastUpdated, deleted: false, method: 'POST', json };
      await store.write({ version: v, index: indexer.extract(JSON.parse(json) as Resource) }, null);
    }
    const walk = await walkPages(store, plan);
    assert.equal(walk.error, undefined);
    return { oracle, store: walk.refs.map((ref) => ref.slice(ref.indexOf('/') + 1)).sort() };
  } finally {
    await store.close();
  }
}

const weight = (id: string, value?: number): Resource => ({
  resourceType: 'Observation', id, status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  ...(value === undefined ? {} : { valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } }),
});

describe('search regressions found by the oracle', () => {
  it('finds only Observations with a code and a quantity value for code-value-quantity:missing=false', async () => {
    // search.html#missing: missing=false matches resources that have a value for the (composite) parameter.
    const { oracle, store } = await bothSides([weight('with', 72), weight('without')], 'Observation', [['code-value-quantity:missing', 'false']]);
    assert.deepEqual(store, ['with'], 'SQLite store');
    assert.deepEqual(oracle, ['with'], 'in-memory matcher (src/search/match.ts, case "missing")');
  });

  it('finds only Observations without a code-value-quantity value for code-value-quantity:missing=true', async () => {
    const { oracle, store } = await bothSides([weight('with', 72), weight('without')], 'Observation', [['code-value-quantity:missing', 'true']]);
    assert.deepEqual(store, ['without'], 'SQLite store');
    assert.deepEqual(oracle, ['without'], 'in-memory matcher (src/search/match.ts, case "missing")');
  });

  it('matches a string prefix even when the stored value continues with the code point U+10FFFF', async () => {
    // search.html#string: `family=ab` matches every family that starts with "ab", whatever follows.
    const patients: Resource[] = [
      { resourceType: 'Patient', id: 'edge', name: [{ family: 'Ab\u{10FFFF}c' }] },
      { resourceType: 'Patient', id: 'plain', name: [{ family: 'Abc' }] },
      { resourceType: 'Patient', id: 'other', name: [{ family: 'Xyz' }] },
    ];
    const { oracle, store } = await bothSides(patients, 'Patient', [['family', 'ab']]);
    assert.deepEqual(oracle, ['edge', 'plain'], 'in-memory matcher');
    assert.deepEqual(store, ['edge', 'plain'], 'SQLite store (src/store/sqlite/compile.ts, prefix upper bound)');
  });

  it('answers _id, _id:not and _id:missing from the resource id, which this store does not index as a token', async () => {
    const rs = [weight('a', 1), weight('b', 2), weight('c')];
    for (const [query, expected] of [
      [[['_id', 'b']], ['b']],
      [[['_id', 'a,c']], ['a', 'c']],
      [[['_id:not', 'b']], ['a', 'c']],
      [[['_id:missing', 'false']], ['a', 'b', 'c']],
      [[['_id:missing', 'true']], []],
    ] as [[string, string][], string[]][]) {
      const { oracle, store } = await bothSides(rs, 'Observation', query);
      assert.deepEqual(store, expected, `SQLite store, ${JSON.stringify(query)}`);
      assert.deepEqual(oracle, expected, `in-memory matcher, ${JSON.stringify(query)}`);
    }
  });
});
