import { bundleOf, fullUrlOf, queryString } from '../fhir/bundle.js';
import { parseStored, stringifyExact } from '../fhir/exact-json.js';
import { badRequest, forbidden } from '../fhir/outcome.js';
import { UnsupportedAuditQuery } from '../store/audit-trail.js';
import type { BundleLink } from '../fhir/bundle.js';
import type { Clock, IdGenerator } from '../fhir/ids.js';
import type { ElementIndex } from '../fhir/element-index.js';
import { applyElements, applySummary } from '../fhir/summary.js';
import { printClause } from '../search/index.js';
import type { Restriction, TouchedResource } from '../vocabulary/access.js';
import type { Clause, IncludeSpec, SearchPlan } from '../vocabulary/plan.js';
import type { ResourceStore, StoredVersion } from '../store/port.js';
import type { Indexer, SearchEngine } from './ports.js';
import type { TouchedResources } from './touched.js';
import { restrictTargets } from './restriction.js';

/** A search to run: what to search, how to page, and any access restriction to AND in. */
export interface SearchRequest {
  types: string[];
  query: [string, string][];
  strict: boolean;
  baseUrl: string;
  /** Path for links, relative to baseUrl: `Patient`, `Patient/123/Observation`, or '' for system search. */
  linkPath: string;
  /**
   * Access restriction per resource type (the patient compartment), ANDed into the plan and into every
   * include fetch (DESIGN principle 7). Types it returns undefined for are not restricted.
   */
  restrict?: Restriction;
}

/** A `searchset` Bundle as JSON text, with the resources it carries for the audit record. */
export interface SearchOutcome {
  bodyText: string;
  touched: TouchedResource[];
}

/** How deep `:iterate` includes go unless configured (VESTA_MAX_INCLUDE_ITERATIONS); bounds the work one request can cause. */
const MAX_INCLUDE_DEPTH = 4;

/** Targets per `_revinclude` lookup: a frontier of thousands is searched in slices, each one small statement. */
const REVINCLUDE_SLICE = 100;

const and = (a: Clause | undefined, b: Clause | undefined): Clause | undefined =>
  a && b ? { kind: 'and', clauses: [a, b] } : (a ?? b);

/** Dependencies of the search service, passed by the composition root. */
export interface SearchServiceDeps {
  store: ResourceStore;
  engine: SearchEngine;
  indexer: Indexer;
  elements: ElementIndex;
  touched: TouchedResources;
  clock: Clock;
  ids: IdGenerator;
  maxCount: number;
  /** Rounds of `:iterate` includes (VESTA_MAX_INCLUDE_ITERATIONS). */
  maxIncludeIterations?: number;
}

/**
 * Runs searches (FHIR R4 search.html): plan → store page → Bundle `searchset` with match and include entries,
 * paging links with opaque cursors, `_summary` and `_elements`. Also answers conditional-interaction lookups.
 * Every store call carries the caller's restriction, so nothing outside it is matched, counted or included.
 */
export class SearchService {
  constructor(private readonly deps: SearchServiceDeps) {}

  /** The same service reading through another store view (a transaction's, so its searches see its own writes). */
  withStore(store: ResourceStore): SearchService {
    return new SearchService({ ...this.deps, store });
  }

  /** Parses the query into a plan with the restriction applied; throws 400 for malformed queries. */
  plan(req: Pick<SearchRequest, 'types' | 'query' | 'strict' | 'restrict'>): SearchPlan {
    const query = req.query.filter(([k]) => k !== '_cursor');
    const plan = this.deps.engine.parse(req.types, query, { strict: req.strict });
    const cursor = req.query.find(([k]) => k === '_cursor')?.[1];
    let restriction: Clause | undefined;
    if (req.restrict) {
      // A system-level search over several types gets one restriction per type.
      const perType = plan.types.map((t) => req.restrict!(t));
      if (perType.length === 1) restriction = perType[0];
      else if (perType.some((c) => c !== undefined)) {
        throw forbidden('With a patient-restricted access a system search must name its resource types with _type');
      }
    }
    // Without `_total`, report the total when the store counts exactly: clients (and US Core) expect it.
    const implicit = this.deps.store.capabilities.accurateTotals ? 'accurate' : 'none';
    const total = query.some(([k]) => k === '_total') ? plan.total : implicit;
    const where = plan.where && req.restrict ? restrictTargets(plan.where, req.restrict) : plan.where;
    return { ...plan, where: and(where, restriction), cursor, total };
  }

  /** The current resources of `type` matching `query` under `restrict` (at most `limit`): conditional interactions. */
  async findMatches(type: string, query: [string, string][], limit: number, restrict?: Restriction): Promise<StoredVersion[]> {
    const plan = this.plan({ types: [type], query, strict: true, restrict });
    const page = await this.deps.store.search({ types: plan.types, where: plan.where, sort: [], count: limit, total: 'none' });
    return page.items;
  }

  /**
   * A stable text for what `query` selects on `type` (the normalized plan, not the query's spelling), so two
   * conditional interactions with the same criteria serialize on the same key.
   */
  criteriaKey(type: string, query: [string, string][]): string {
    const where = this.deps.engine.parse([type], query, { strict: true }).where;
    const parts = where === undefined ? [] : where.kind === 'and' ? where.clauses.map(printClause).sort() : [printClause(where)];
    return `${type}?${parts.join('&')}`;
  }

  /**
   * Runs a search and returns the `searchset` Bundle as JSON text. Stored resources are spliced in as the
   * text they were stored as (no parse and re-serialize), which is most of the cost of a search response.
   */
  async run(req: SearchRequest): Promise<SearchOutcome> {
    const { store, touched } = this.deps;
    const plan = this.plan(req);
    const countOnly = plan.summary === 'count';
    const page = await store.search({
      types: plan.types, where: plan.where, sort: plan.sort, count: countOnly ? 0 : plan.count,
      cursor: plan.cursor, total: countOnly ? 'accurate' : plan.total,
    }).catch((e: unknown) => {
      // The audit trail carries a subset of the search plan; it says which part it cannot.
      throw e instanceof UnsupportedAuditQuery ? badRequest(e.message, undefined, 'not-supported') : e;
    });
    const entries: string[] = page.items.map((v) => this.entry(req.baseUrl, v, plan, 'match'));
    const returned = touched.all(page.items);
    if (!countOnly && page.items.length > 0 && (plan.include.length > 0 || plan.revinclude.length > 0)) {
      const seen = new Set(page.items.map((v) => `${v.resourceType}/${v.id}`));
      const included = await this.includes(plan, page.items, seen, req.restrict);
      for (const v of included) entries.push(this.entry(req.baseUrl, v, plan, 'include'));
      returned.push(...touched.all(included));
    }
    const path = req.linkPath ? `${req.baseUrl}/${req.linkPath}` : req.baseUrl;
    const link = (extra: [string, string][]): string => {
      const qs = queryString([...plan.applied, ...extra]);
      return qs ? `${path}?${qs}` : path;
    };
    const links: BundleLink[] = [{ relation: 'self', url: link(plan.cursor ? [['_cursor', plan.cursor]] : []) }];
    if (!countOnly) {
      links.push({ relation: 'first', url: link([]) });
      if (page.previous) links.push({ relation: 'previous', url: link([['_cursor', page.previous]]) });
      if (page.next) links.push({ relation: 'next', url: link([['_cursor', page.next]]) });
    }
    const head = JSON.stringify(bundleOf('searchset', [], links, { id: this.deps.ids(), timestamp: this.deps.clock().toISOString(), total: page.total }));
    const bodyText = entries.length === 0 ? head : `${head.slice(0, -1)},"entry":[${entries.join(',')}]}`;
    return { bodyText, touched: returned };
  }

  /** One Bundle entry as JSON text; the stored JSON is used verbatim unless `_summary`/`_elements` subset it. */
  private entry(baseUrl: string, v: StoredVersion, plan: SearchPlan, mode: 'match' | 'include'): string {
    const fullUrl = JSON.stringify(fullUrlOf(baseUrl, v.resourceType, v.id));
    const subset = (plan.summary && plan.summary !== 'false') || (plan.elements && plan.elements.length > 0);
    if (!subset) return `{"fullUrl":${fullUrl},"resource":${v.json},"search":{"mode":"${mode}"}}`;
    let resource = parseStored(v.json) as Record<string, unknown>;
    if (plan.summary && plan.summary !== 'false') resource = applySummary(resource, plan.summary, this.deps.elements);
    else if (plan.elements) resource = applyElements(resource, plan.elements, this.deps.elements);
    return `{"fullUrl":${fullUrl},"resource":${stringifyExact(resource)},"search":{"mode":"${mode}"}}`;
  }

  /** `_include` and `_revinclude` (search.html#include), with `:iterate`; every fetch honours the restriction. */
  private async includes(plan: SearchPlan, matches: StoredVersion[], seen: Set<string>, restrict?: Restriction): Promise<StoredVersion[]> {
    const out: StoredVersion[] = [];
    let frontier = matches;
    const rounds = this.deps.maxIncludeIterations ?? MAX_INCLUDE_DEPTH;
    for (let depth = 0; depth < rounds && frontier.length > 0; depth++) {
      const found: StoredVersion[] = [];
      const forward = plan.include.filter((s) => depth === 0 || s.iterate);
      const reverse = plan.revinclude.filter((s) => depth === 0 || s.iterate);
      for (const spec of forward) found.push(...(await this.forward(spec, frontier, restrict)));
      for (const spec of reverse) found.push(...(await this.reverse(spec, frontier, restrict)));
      frontier = [];
      for (const v of found) {
        const key = `${v.resourceType}/${v.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(v);
        frontier.push(v);
      }
    }
    return out;
  }

  private async forward(spec: IncludeSpec, from: StoredVersion[], restrict?: Restriction): Promise<StoredVersion[]> {
    const byType = new Map<string, Set<string>>();
    const only = spec.param === '*' ? undefined : new Set([spec.param]);
    for (const v of from) {
      if (spec.sourceType !== '*' && v.resourceType !== spec.sourceType) continue;
      // Only the included parameter is evaluated, not every search parameter of the type.
      const rows = this.deps.indexer.extract(JSON.parse(v.json) as Record<string, unknown> & { resourceType: string }, only);
      for (const row of rows) {
        if (row.kind !== 'reference' || !row.targetType || !row.targetId) continue;
        if (spec.param !== '*' && row.param !== spec.param) continue;
        if (spec.param === '*' && row.param.includes(':')) continue;
        if (spec.targetType && row.targetType !== spec.targetType) continue;
        let ids = byType.get(row.targetType);
        if (!ids) byType.set(row.targetType, (ids = new Set()));
        ids.add(row.targetId);
      }
    }
    const out: StoredVersion[] = [];
    for (const [type, ids] of byType) {
      const where = and({ kind: 'ids', ids: [...ids] }, restrict?.(type));
      const page = await this.deps.store.search({ types: [type], where, sort: [], count: Math.min(ids.size, this.deps.maxCount), total: 'none' });
      out.push(...page.items);
    }
    return out;
  }

  private async reverse(spec: IncludeSpec, targets: StoredVersion[], restrict?: Restriction): Promise<StoredVersion[]> {
    if (targets.length === 0 || spec.param === '*' || spec.sourceType === '*') return [];
    const out: StoredVersion[] = [];
    for (let i = 0; i < targets.length && out.length < this.deps.maxCount; i += REVINCLUDE_SLICE) {
      const refs: Clause[] = targets.slice(i, i + REVINCLUDE_SLICE).map((t) => ({
        kind: 'reference', param: { code: spec.param, type: 'reference' }, targetType: t.resourceType, id: t.id,
      }));
      const where = and({ kind: 'or', clauses: refs }, restrict?.(spec.sourceType));
      const page = await this.deps.store.search({ types: [spec.sourceType], where, sort: [], count: this.deps.maxCount - out.length, total: 'none' });
      for (const v of page.items) out.push(v);
    }
    return out;
  }
}
