/**
 * The in-memory search oracle: evaluates a plan clause against a resource's index rows exactly as
 * src/vocabulary/plan.ts specifies. Store compilers are tested against it; it is not built for speed.
 */
import type { IndexValue } from '../vocabulary/index-values.js';
import type { Clause, Prefix } from '../vocabulary/plan.js';
import type { Indexer } from './extract.js';

/** A resource as the matcher sees it: a type and a logical id. */
export interface MatchResource {
  resourceType: string;
  id?: string;
}

/** What `matches` needs to read index rows and follow references for `chain` and `has`. */
export interface MatchContext {
  /** The index rows of `resource` (usually `indexer.extract`, cached). */
  index(resource: MatchResource): readonly IndexValue[];
  /** The current resource `type/id`, if present. */
  resolve(type: string, id: string): MatchResource | undefined;
  /** Every current resource of `type`. */
  ofType(type: string): Iterable<MatchResource>;
}

/** A context over an in-memory set of resources, indexing each once with `indexer`. */
export function memoryMatchContext(indexer: Indexer, resources: readonly MatchResource[]): MatchContext {
  const cache = new Map<MatchResource, readonly IndexValue[]>();
  const byKey = new Map(resources.map((r) => [`${r.resourceType}/${r.id ?? ''}`, r]));
  return {
    index(r) {
      let rows = cache.get(r);
      if (!rows) cache.set(r, (rows = indexer.extract(r)));
      return rows;
    },
    resolve: (type, id) => byKey.get(`${type}/${id}`),
    ofType: (type) => resources.filter((r) => r.resourceType === type),
  };
}

/** Range comparison of a stored [lo, hi] against the query [low, high] (search.html#prefix, as in plan.ts). */
export function rangeMatches(prefix: Prefix, lo: number, hi: number, low: number, high: number): boolean {
  switch (prefix) {
    case 'eq': return lo >= low && hi <= high;
    case 'ne': return !(lo >= low && hi <= high);
    case 'gt': return hi > high;
    case 'lt': return lo < low;
    case 'ge': return hi >= low && (hi > high || lo >= low);
    case 'le': return lo <= high && (lo < low || hi <= high);
    case 'sa': return lo > high;
    case 'eb': return hi < low;
    case 'ap': return lo <= high && hi >= low;
  }
}

function systemOk(want: string | null | undefined, have: string | null): boolean {
  return want === undefined || (want === null ? have === null : have === want);
}

function rowMatches(c: Clause, r: IndexValue): boolean {
  switch (c.kind) {
    case 'string':
      if (r.kind !== 'string') return false;
      return c.mode === 'exact' ? r.exact === c.value : c.mode === 'prefix' ? r.value.startsWith(c.value) : r.value.includes(c.value);
    case 'token':
      return r.kind === 'token' && systemOk(c.system, r.system) && (c.code === undefined || r.code === c.code);
    case 'range':
      if (r.kind !== 'date' && r.kind !== 'number' && r.kind !== 'quantity') return false;
      if (r.kind === 'quantity') {
        if (!systemOk(c.system, r.system)) return false;
        if (c.code !== undefined && r.code !== c.code) return false;
        if (c.unit !== undefined && r.code !== c.unit && r.unit !== c.unit) return false;
      } else if (c.system !== undefined || c.code !== undefined || c.unit !== undefined) return false;
      return rangeMatches(c.prefix, r.low, r.high, c.low, c.high);
    case 'reference':
      if (r.kind !== 'reference') return false;
      if (c.url !== undefined) return r.url === c.url;
      return (c.targetType === undefined || r.targetType === c.targetType) && (c.id === undefined || r.targetId === c.id);
    case 'uri':
      if (r.kind !== 'uri') return false;
      return c.mode === 'exact' ? r.value === c.value : c.mode === 'below' ? r.value.startsWith(c.value) : c.value.startsWith(r.value);
    default:
      return false;
  }
}

/** True when `resource` satisfies `clause` (FHIR R4 search.html; exact semantics in plan.ts). */
export function matches(clause: Clause, resource: MatchResource, ctx: MatchContext): boolean {
  return evalOn(clause, resource, ctx.index(resource), ctx);
}

function evalOn(c: Clause, resource: MatchResource, rows: readonly IndexValue[], ctx: MatchContext): boolean {
  switch (c.kind) {
    case 'and': return c.clauses.every((x) => evalOn(x, resource, rows, ctx));
    case 'or': return c.clauses.some((x) => evalOn(x, resource, rows, ctx));
    case 'not': return !evalOn(c.clause, resource, rows, ctx);
    case 'missing': {
      // A composite is present when one of its component rows (`<code>.<i>`) is; see vocabulary/index-values.ts.
      const code = c.param.code;
      const present = c.param.type === 'composite'
        ? rows.some((r) => r.param.startsWith(`${code}.`))
        : rows.some((r) => r.param === code);
      return present !== c.missing;
    }
    case 'string': case 'token': case 'range': case 'reference': case 'uri':
      return rows.some((r) => r.param === c.param.code && rowMatches(c, r));
    case 'composite': {
      const groups = new Set<number>();
      for (const r of rows) if (r.group !== undefined && r.param.startsWith(`${c.param.code}.`)) groups.add(r.group);
      for (const g of groups) {
        const groupRows = rows.filter((r) => r.group === g);
        if (c.parts.every((p) => evalOn(p, resource, groupRows, ctx))) return true;
      }
      return false;
    }
    case 'chain':
      return rows.some((r) => {
        if (r.param !== c.param.code || r.kind !== 'reference' || !r.targetType || !r.targetId) return false;
        if (!c.targetTypes.includes(r.targetType)) return false;
        const target = ctx.resolve(r.targetType, r.targetId);
        return target !== undefined && matches(c.where, target, ctx);
      });
    case 'has':
      for (const source of ctx.ofType(c.sourceType)) {
        const points = ctx.index(source).some((r) => r.param === c.param.code && r.kind === 'reference'
          && r.targetType === resource.resourceType && r.targetId === resource.id);
        if (points && matches(c.where, source, ctx)) return true;
      }
      return false;
    case 'ids': return resource.id !== undefined && c.ids.includes(resource.id);
  }
}
