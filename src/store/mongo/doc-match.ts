/**
 * The search plan evaluated in process on current documents (documents.ts): the fallback for servers whose query
 * language cannot carry the compiled filter (FerretDB 1.x has no `$elemMatch` with field names, no `$min`/`$max`
 * expressions, no `$first`). Same semantics as compile.ts (the `Clause` comment in vocabulary/plan.ts); the search
 * oracle runs against it on FerretDB. Chains and `_has` are resolved first (`resolveStages`), so matching is
 * synchronous.
 */
import type { Document } from 'mongodb';
import { badRequest } from '../../fhir/outcome.js';
import type { Clause, Prefix, SortKey } from '../../vocabulary/plan.js';
import type { KeyValue } from '../cursor.js';
import { ARRAYS, type CurrentDoc, type IndexArrays } from './documents.js';
import { MAX_STAGE_IDS } from './compile.js';
import { looseFilter, type Resolved } from './loose-filter.js';

export type { Resolved };

type Leaf = Extract<Clause, { kind: 'string' | 'token' | 'range' | 'reference' | 'uri' }>;
type Row = { p: string } & Record<string, unknown>;


/**
 * Runs inner queries in process: the live documents of a type that pass `candidates`, a sound superset of the
 * clause being evaluated (loose-filter.ts) that the server can run; the exact match is then done here.
 */
export type DocSource = (type: string, candidates: Document) => Promise<CurrentDoc[]>;

/** Resolves every chain and `_has` under `clause` (inner ones first), for documents of `type`. */
export async function resolveStages(clause: Clause | undefined, type: string, docs: DocSource, types: () => Promise<string[]>, into: Resolved = { chains: new Map(), has: new Map() }): Promise<Resolved> {
  if (clause === undefined) return into;
  switch (clause.kind) {
    case 'and': case 'or':
      for (const c of clause.clauses) await resolveStages(c, type, docs, types, into);
      return into;
    case 'not':
      return resolveStages(clause.clause, type, docs, types, into);
    case 'chain': {
      const byType = new Map<string, Set<string>>();
      let carried = 0;
      for (const t of clause.targetTypes.length > 0 ? clause.targetTypes : await types()) {
        await resolveStages(clause.where, t, docs, types, into);
        const ids = new Set((await docs(t, looseFilter(clause.where, into))).filter((d) => matchDoc(clause.where, d, into)).map((d) => d._id));
        carried += ids.size;
        if (carried > MAX_STAGE_IDS) throw badRequest(`The search through ${clause.param.code} matches more than ${MAX_STAGE_IDS} resources in one stage.`, undefined, 'too-costly');
        byType.set(t, ids);
      }
      into.chains.set(clause, byType);
      return into;
    }
    case 'has': {
      await resolveStages(clause.where, clause.sourceType, docs, types, into);
      const ids = new Set<string>();
      const pointing = { 'r.p': { $eq: clause.param.code }, 'r.tt': { $eq: type } };
      const narrowed = looseFilter(clause.where, into);
      for (const d of await docs(clause.sourceType, Object.keys(narrowed).length === 0 ? pointing : { $and: [pointing, narrowed] })) {
        if (!matchDoc(clause.where, d, into)) continue;
        for (const r of d.r) if (r.p === clause.param.code && r.tt === type && r.ti !== null) ids.add(r.ti);
      }
      into.has.set(clause, ids);
      return into;
    }
    default:
      return into;
  }
}

/** Whether the document satisfies the clause (its chains and `_has` resolved in `resolved`). */
export function matchDoc(clause: Clause, d: CurrentDoc, resolved: Resolved): boolean {
  switch (clause.kind) {
    case 'and': return clause.clauses.every((c) => matchDoc(c, d, resolved));
    case 'or': return clause.clauses.some((c) => matchDoc(c, d, resolved));
    case 'not': return !matchDoc(clause.clause, d, resolved);
    case 'ids': return clause.ids.includes(d._id);
    case 'missing': {
      if (clause.param.code === '_id') return !clause.missing;
      const code = clause.param.type === 'composite' ? `${clause.param.code}.0` : clause.param.code;
      const present = ARRAYS.some((a) => (d[a] as unknown as Row[]).some((r) => r.p === code));
      return clause.missing ? !present : present;
    }
    case 'string': case 'token': case 'range': case 'reference': case 'uri':
      if (clause.kind === 'token' && clause.param.code === '_id') {
        return clause.code !== undefined && (clause.system === undefined || clause.system === null) && d._id === clause.code;
      }
      return rowsOf(d, clause).some((r) => matchRow(clause, r));
    case 'composite':
      return d.cx.some((g) => clause.parts.every((part) => {
        if (!isLeaf(part)) throw badRequest('A composite search parameter part must be a simple value.');
        return rowsOf(g, part).some((r) => matchRow(part, r));
      }));
    case 'chain': {
      const byType = resolved.chains.get(clause);
      if (byType === undefined) throw new Error('chain not resolved');
      return d.r.some((r) => r.p === clause.param.code && r.tt !== null && r.ti !== null && (byType.get(r.tt)?.has(r.ti) ?? false));
    }
    case 'has': {
      const ids = resolved.has.get(clause);
      if (ids === undefined) throw new Error('_has not resolved');
      return ids.has(d._id);
    }
    default: {
      const never: never = clause;
      throw badRequest(`unsupported search clause ${(never as { kind: string }).kind}`);
    }
  }
}

function isLeaf(c: Clause): c is Leaf {
  return c.kind === 'string' || c.kind === 'token' || c.kind === 'range' || c.kind === 'reference' || c.kind === 'uri';
}

function rowsOf(a: IndexArrays, c: Leaf): Row[] {
  let rows: Row[];
  switch (c.kind) {
    case 'string': rows = a.s as unknown as Row[]; break;
    case 'token': rows = a.t as unknown as Row[]; break;
    case 'reference': rows = a.r as unknown as Row[]; break;
    case 'uri': rows = a.u as unknown as Row[]; break;
    case 'range':
      rows = (c.param.type === 'date' ? a.d : c.param.type === 'number' ? a.n : c.param.type === 'quantity' ? a.q : undefined) as unknown as Row[];
      if (rows === undefined) throw badRequest(`Parameter ${c.param.code} does not take a range.`);
      break;
  }
  return rows.filter((r) => r.p === c.param.code);
}

function tokenMatch(r: Row, system: string | null | undefined, code: string | undefined): boolean {
  if (code !== undefined && r['c'] !== code) return false;
  if (system === null) return r['s'] === null || r['s'] === undefined;
  return system === undefined || r['s'] === system;
}

function inRange(prefix: Prefix, lo: number, hi: number, low: number, high: number): boolean {
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

function matchRow(c: Leaf, r: Row): boolean {
  switch (c.kind) {
    case 'string': {
      const v = r['v'] as string;
      if (c.mode === 'exact') return r['e'] === c.value && (c.folded === undefined || v === c.folded);
      return c.mode === 'prefix' ? v.startsWith(c.value) : v.includes(c.value);
    }
    case 'token': return tokenMatch(r, c.system, c.code);
    case 'range': {
      if (!inRange(c.prefix, r['lo'] as number, r['hi'] as number, c.low, c.high)) return false;
      if (c.param.type !== 'quantity') return true;
      return tokenMatch(r, c.system, c.code) && (c.unit === undefined || r['c'] === c.unit || r['u'] === c.unit);
    }
    case 'reference': {
      const local = (c.id === undefined || r['ti'] === c.id) && (c.targetType === undefined || r['tt'] === c.targetType);
      const hasLocal = c.id !== undefined || c.targetType !== undefined;
      if (hasLocal && c.url !== undefined && c.id !== undefined) return local || r['u'] === c.url;
      if (c.url !== undefined) return r['u'] === c.url;
      return local;
    }
    case 'uri': {
      const v = r['v'] as string;
      return c.mode === 'exact' ? v === c.value : c.mode === 'below' ? v.startsWith(c.value) : c.value.startsWith(v);
    }
  }
}

/** The sort value of a document for one key (as search-page.ts computes it in the aggregation); null when none. */
export function sortValue(key: SortKey, d: CurrentDoc): KeyValue {
  const p = key.param;
  if (p.code === '_id') return d._id;
  if (p.code === '_lastUpdated') return d.lu;
  const pick = (rows: Row[], field: string): KeyValue => {
    const values = rows.filter((r) => r.p === p.code).map((r) => r[field]).filter((v): v is string | number => v !== null && v !== undefined);
    if (values.length === 0) return null;
    return values.reduce((a, b) => ((compareKeys(b, a) < 0) !== key.descending ? b : a));
  };
  switch (p.type) {
    case 'string': return pick(d.s as unknown as Row[], 'v');
    case 'token': return pick(d.t as unknown as Row[], 'c');
    case 'date': return pick(d.d as unknown as Row[], key.descending ? 'hi' : 'lo');
    case 'number': return pick(d.n as unknown as Row[], 'x');
    case 'quantity': return pick(d.q as unknown as Row[], 'x');
    case 'reference': return pick(d.r as unknown as Row[], 'k');
    case 'uri': return pick(d.u as unknown as Row[], 'v');
    default: throw badRequest(`Sorting by ${p.code} is not supported.`, undefined, 'not-supported');
  }
}

/** Orders key values as MongoDB does within one type: numbers numerically, strings by code point (UTF-8 bytes). */
export function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
}
