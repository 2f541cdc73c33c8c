/**
 * The search oracle of issue #3: a few thousand generated resources are written to a store and kept in
 * memory, then a few thousand generated queries are parsed once (`parseSearch`) and run both through the
 * store (every page walked with cursors) and through the in-memory matcher (src/search/match.ts). The id
 * sets must be identical, and `_sort` results must be in an order consistent with their sort keys.
 * Deterministic from one seed (printed; replay with VESTA_ORACLE_SEED=<seed>).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexValue } from '../../src/vocabulary/index-values.js';
import type { ResourceStore, StoredVersion, VersionWrite } from '../../src/store/port.js';
import type { SearchPlan } from '../../src/vocabulary/plan.js';
import { createIndexer, createSearchRegistry, matches, parseSearch, type MatchContext, type MatchResource, type ParseOptions } from '../../src/search/index.js';
import { Random, oracleSeed } from './oracle-random.js';
import { ORACLE_BASE } from './oracle-pools.js';
import { generateResources, stamp, type Json } from './oracle-resources.js';
import { featuresOf, generateQueries, queryText, type OracleQuery } from './oracle-queries.js';
import type { Harvest } from './oracle-values.js';
import { firstOrderViolation, sortValue, walkBack, walkPages, type KeyValue } from './oracle-compare.js';
import { ALL_SEARCH_FEATURES } from '../support/search-capabilities.js';

/** The default seed; override with VESTA_ORACLE_SEED to explore or to replay a reported failure. */
const DEFAULT_SEED = 20250603;
/** How many queries to generate (VESTA_ORACLE_QUERIES overrides it for longer explorations). */
const QUERY_COUNT = Number(process.env['VESTA_ORACLE_QUERIES'] ?? 3000);
/** A fixed "now" for `ap` on dates, so the plans are reproducible. */
const NOW = Date.parse('2025-06-01T12:00:00Z');
/** At most this many discrepancies are printed. */
const SHOWN = 20;

const PARSE: ParseOptions = { baseUrl: ORACLE_BASE, strict: true, defaultCount: 200, maxCount: 1000, now: NOW, capabilities: ALL_SEARCH_FEATURES };

/** A live resource in memory with its index rows (the same rows the store received). */
interface Live extends MatchResource {
  id: string;
  lastUpdated: string;
  rows: IndexValue[];
}

function version(r: Json, method: StoredVersion['method']): StoredVersion {
  const meta = r['meta'] as { versionId: string; lastUpdated: string };
  return { resourceType: r.resourceType, id: r.id, versionId: meta.versionId, lastUpdated: meta.lastUpdated, deleted: false, method, json: JSON.stringify(r) };
}

function instant(rng: Random): string {
  return new Date(Date.UTC(2023, 0, 1) + rng.int(0, 2 * 365 * 86_400) * 1000 + rng.int(0, 999)).toISOString();
}

/** Builds the writes (some resources updated from an older content, some deleted) and the live set. */
function buildData(rng: Random, index: (r: { resourceType: string }) => IndexValue[]) {
  const { resources } = generateResources(rng);
  const writes: { w: VersionWrite; expected: string | null }[] = [];
  const live: Live[] = [];
  let updated = 0;
  let deleted = 0;
  for (const r of resources) {
    const fate = rng.weighted([[92, 'plain'], [5, 'updated'], [3, 'deleted']] as const);
    if (fate === 'updated') {
      // Version 1 carries another resource's content (and index rows) so stale rows would be visible.
      const other = rng.pick(resources.filter((x) => x.resourceType === r.resourceType));
      const v1 = stamp(rng, { ...other, id: r.id }, '1', instant(rng));
      writes.push({ w: { version: version(v1, 'POST'), index: index(v1) }, expected: null });
      const v2 = stamp(rng, r, '2', instant(rng));
      const rows = index(v2);
      writes.push({ w: { version: version(v2, 'PUT'), index: rows }, expected: '1' });
      live.push({ resourceType: r.resourceType, id: r.id, lastUpdated: (v2['meta'] as { lastUpdated: string }).lastUpdated, rows });
      updated++;
      continue;
    }
    const v1 = stamp(rng, r, '1', instant(rng));
    const rows = index(v1);
    writes.push({ w: { version: version(v1, 'POST'), index: rows }, expected: null });
    if (fate === 'deleted') {
      const tomb: StoredVersion = { resourceType: r.resourceType, id: r.id, versionId: '2', lastUpdated: instant(rng), deleted: true, method: 'DELETE', json: '' };
      writes.push({ w: { version: tomb, index: [] }, expected: '1' });
      deleted++;
    } else live.push({ resourceType: r.resourceType, id: r.id, lastUpdated: (v1['meta'] as { lastUpdated: string }).lastUpdated, rows });
  }
  return { writes, live, generated: resources.length, updated, deleted };
}

async function writeAll(store: ResourceStore, writes: { w: VersionWrite; expected: string | null }[]): Promise<void> {
  const run = async (s: ResourceStore) => {
    for (const { w, expected } of writes) await s.write(w, expected);
  };
  if (store.capabilities.transactions) await store.transaction(run);
  else await run(store);
}

function harvestOf(live: readonly Live[]): Harvest {
  const rows = new Map<string, IndexValue[]>();
  const groups = new Map<string, IndexValue[][]>();
  const ids = new Map<string, string[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const r of live) {
    push(ids, r.resourceType, r.id);
    const byGroup = new Map<string, IndexValue[]>();
    for (const row of r.rows) {
      if (row.group === undefined) push(rows, `${r.resourceType} ${row.param}`, row);
      else push(byGroup, `${r.resourceType} ${row.param.slice(0, row.param.lastIndexOf('.'))} ${row.group}`, row);
    }
    for (const [k, g] of byGroup) push(groups, k.slice(0, k.lastIndexOf(' ')), g);
  }
  return {
    rows: (type, param) => rows.get(`${type} ${param}`) ?? [],
    groups: (type, param) => groups.get(`${type} ${param}`) ?? [],
    ids: (type) => ids.get(type) ?? [],
  };
}

function matchContext(live: readonly Live[]): MatchContext {
  const byKey = new Map(live.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const byType = new Map<string, Live[]>();
  for (const r of live) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);
  return {
    index: (r) => (r as Live).rows,
    resolve: (type, id) => byKey.get(`${type}/${id}`),
    ofType: (type) => byType.get(type) ?? [],
  };
}

/** One disagreement between the store and the oracle (or a query the parser wrongly rejected). */
interface Discrepancy {
  query: string;
  detail: string;
}

function describeSetDifference(expected: readonly string[], got: readonly string[]): string | undefined {
  const want = new Set(expected);
  const have = new Set(got);
  const missing = expected.filter((r) => !have.has(r));
  const extra = [...have].filter((r) => !want.has(r));
  const dupes = got.length - have.size;
  if (missing.length === 0 && extra.length === 0 && dupes === 0) return undefined;
  const few = (xs: string[]) => `${xs.slice(0, 5).join(' ')}${xs.length > 5 ? ' …' : ''}`;
  return `oracle ${expected.length}, store ${got.length} (${dupes} duplicates); missing from store [${few(missing)}], extra in store [${few(extra)}]`;
}

/** The search oracle suite: `makeStore` returns a fresh, empty store; the suite closes it. */
export function describeSearchOracle(name: string, makeStore: () => Promise<ResourceStore>, queryCount = QUERY_COUNT): void {
  describe(`${name} search oracle`, () => {
    it('returns exactly the resources the in-memory matcher finds for thousands of generated queries', async (t) => {
      const started = Date.now();
      const seed = oracleSeed(DEFAULT_SEED);
      const rng = new Random(seed);
      const registry = createSearchRegistry();
      const indexer = createIndexer(registry, { baseUrl: ORACLE_BASE });
      const data = buildData(rng, (r) => indexer.extract(r));
      const live = data.live;
      const store = await makeStore();
      const discrepancies: Discrepancy[] = [];
      const stats = { queries: 0, nonEmpty: 0, sorted: 0, pages: 0, matched: 0, oracleMs: 0, storeMs: 0 };
      const slowest: { ms: number; what: string }[] = [];
      const coverage = new Map<string, { n: number; hits: number }>();
      try {
        await writeAll(store, data.writes);
        const written = Date.now();
        const ctx = matchContext(live);
        const byRef = new Map(live.map((r) => [`${r.resourceType}/${r.id}`, r]));
        const queries = generateQueries(rng, registry, harvestOf(live), queryCount);
        for (const q of queries) {
          stats.queries++;
          const text = queryText(q);
          let plan: SearchPlan;
          try {
            plan = parseSearch(registry, q.types, q.params, PARSE);
          } catch (err) {
            discrepancies.push({ query: text, detail: `the parser rejected a valid query: ${err instanceof Error ? err.message : String(err)}` });
            continue;
          }
          const t0 = performance.now();
          const candidates = plan.types.length === 0 ? live : live.filter((r) => plan.types.includes(r.resourceType));
          const where = plan.where;
          const expected = (where === undefined ? candidates : candidates.filter((r) => matches(where, r, ctx))).map((r) => `${r.resourceType}/${r.id}`);
          const t1 = performance.now();
          stats.oracleMs += t1 - t0;
          if (expected.length > 0) stats.nonEmpty++;
          for (const f of featuresOf(q)) {
            const c = coverage.get(f) ?? { n: 0, hits: 0 };
            c.n++;
            if (expected.length > 0) c.hits++;
            coverage.set(f, c);
          }
          stats.matched += expected.length;
          let shown = text;
          if (plan.sort.length > 0) {
            // Page through sorted results in about 2–8 pages, so cursors carry sort keys across pages.
            stats.sorted++;
            const count = Math.min(1000, Math.max(1, Math.ceil(expected.length / rng.int(2, 8))));
            const withCount: OracleQuery = { types: q.types, params: [...q.params, ['_count', String(count)]] };
            shown = queryText(withCount);
            plan = parseSearch(registry, withCount.types, withCount.params, PARSE);
          }
          const t2 = performance.now();
          const walk = await walkPages(store, plan);
          const t3 = performance.now();
          stats.storeMs += t3 - t2;
          stats.pages += walk.pages;
          slowest.push({ ms: t3 - t0, what: `oracle ${Math.round(t1 - t0)} ms, store ${Math.round(t3 - t2)} ms (${walk.pages} pages): ${shown}` });
          slowest.sort((a, b) => b.ms - a.ms).splice(5);
          if (walk.error !== undefined) {
            discrepancies.push({ query: shown, detail: `the store failed: ${walk.error}` });
            continue;
          }
          const diff = describeSetDifference(expected, walk.refs);
          if (diff !== undefined) {
            discrepancies.push({ query: shown, detail: diff });
            continue;
          }
          if (plan.sort.length > 0) {
            const sort = plan.sort;
            const keyOf = (ref: string): KeyValue[] => sort.map((k) => sortValue(k, byRef.get(ref)!));
            const violation = firstOrderViolation(sort, walk.refs, keyOf);
            if (violation !== undefined) discrepancies.push({ query: shown, detail: `out of order: ${violation}` });
            const back = await walkBack(store, plan, walk);
            stats.pages += back.pages;
            if (back.error !== undefined || back.refs.join(' ') !== walk.refs.join(' ')) {
              discrepancies.push({ query: shown, detail: `walking back with previous cursors ${back.error ?? `gives another order: ${back.refs.slice(0, 6).join(' ')} …`}` });
            }
          }
        }
        t.diagnostic(`search oracle seed ${seed} (replay with VESTA_ORACLE_SEED=${seed})`);
        t.diagnostic(`${data.generated} resources generated (${data.updated} updated, ${data.deleted} deleted, ${live.length} live, ` +
          `${data.writes.length} writes, ${live.reduce((s, r) => s + r.rows.length, 0)} index rows); ${stats.queries} queries ` +
          `(${stats.nonEmpty} with matches, ${stats.sorted} sorted, ${stats.matched} matches in all, ${stats.pages} store pages); ` +
          `write ${written - started} ms, queries ${Date.now() - written} ms (oracle ${Math.round(stats.oracleMs)} ms, ` +
          `store ${Math.round(stats.storeMs)} ms); ${discrepancies.length} discrepancies`);
        for (const s of slowest) t.diagnostic(`slow query: ${s.what}`);
        t.diagnostic(`coverage (feature: queries/with matches): ${[...coverage].sort(([a], [b]) => (a < b ? -1 : 1)).map(([f, c]) => `${f} ${c.n}/${c.hits}`).join(', ')}`);
        for (const d of discrepancies.slice(0, SHOWN)) t.diagnostic(`discrepancy: ${d.query} → ${d.detail}`);
      } finally {
        await store.close();
      }
      assert.equal(discrepancies.length, 0,
        `${discrepancies.length} queries disagree with the oracle (seed ${seed}); first ${Math.min(SHOWN, discrepancies.length)}:\n` +
        discrepancies.slice(0, SHOWN).map((d) => `  ${d.query}\n    ${d.detail}`).join('\n'));
    });
  });
}
