/**
 * A sound superset of a search clause as a filter every MongoDB-wire server can run, for the in-process search
 * (scan-page.ts, doc-match.ts) on servers that cannot run the exact filter (FerretDB 1.x: no `$elemMatch` with field
 * names). Each leaf becomes equalities on dotted paths into its index array (`t.p`, `t.c`...), which hold when
 * SOME row has the param and SOME row has the code, not necessarily the same row: every document the exact clause
 * matches passes, and a few more may. The exact match then runs in process on what this lets through, so results
 * are exact while a search reads only its candidates instead of every live document of the type.
 *
 * Only `$eq`/`$in` on constant field names, user values as operands: the same security rules as compile.ts.
 * Whatever cannot be narrowed soundly (negation, `:missing`, ranges, `:contains`, composites) passes everything.
 */
import type { Document } from 'mongodb';
import type { Clause } from '../../vocabulary/plan.js';

/** The ids each chain (per target type) and `_has` clause stands for, found before matching (doc-match.ts). */
export interface Resolved {
  chains: Map<Clause, Map<string, Set<string>>>;
  has: Map<Clause, Set<string>>;
}

type Leaf = Extract<Clause, { kind: 'string' | 'token' | 'range' | 'reference' | 'uri' }>;

/** The filter that lets every document through. */
const ALWAYS: Document = {};

const isAlways = (d: Document): boolean => Object.keys(d).length === 0;

/** A superset of the documents `clause` matches (its chains and `_has` resolved in `resolved`). */
export function looseFilter(clause: Clause | undefined, resolved: Resolved): Document {
  if (clause === undefined) return ALWAYS;
  switch (clause.kind) {
    case 'and': {
      const parts = clause.clauses.map((c) => looseFilter(c, resolved)).filter((d) => !isAlways(d));
      return parts.length === 0 ? ALWAYS : parts.length === 1 ? parts[0]! : { $and: parts };
    }
    case 'or': {
      if (clause.clauses.length === 0) return ALWAYS; // matches nothing; the exact match says so
      const parts = clause.clauses.map((c) => looseFilter(c, resolved));
      return parts.some(isAlways) ? ALWAYS : parts.length === 1 ? parts[0]! : { $or: parts };
    }
    case 'ids':
      return { _id: { $in: [...clause.ids] } };
    case 'string': case 'token': case 'range': case 'reference': case 'uri':
      return leaf(clause);
    case 'chain': {
      const byType = resolved.chains.get(clause);
      if (byType === undefined) return ALWAYS;
      const ids = new Set<string>();
      for (const set of byType.values()) for (const id of set) ids.add(id);
      return { 'r.p': { $eq: clause.param.code }, 'r.ti': { $in: [...ids] } };
    }
    case 'has': {
      const ids = resolved.has.get(clause);
      return ids === undefined ? ALWAYS : { _id: { $in: [...ids] } };
    }
    case 'not': case 'missing': case 'composite':
      return ALWAYS;
    default: {
      const never: never = clause;
      throw new Error(`unsupported search clause ${(never as { kind: string }).kind}`);
    }
  }
}

/** Equalities on the leaf's array: its param, and the fields the exact condition pins to one value. */
function leaf(c: Leaf): Document {
  if (c.kind === 'token' && c.param.code === '_id') {
    const plain = c.code !== undefined && (c.system === undefined || c.system === null);
    return plain ? { _id: { $eq: c.code } } : ALWAYS;
  }
  const eq = (array: string, fields: Record<string, string | undefined>): Document => {
    const out: Document = { [`${array}.p`]: { $eq: c.param.code } };
    for (const [field, value] of Object.entries(fields)) if (value !== undefined) out[`${array}.${field}`] = { $eq: value };
    return out;
  };
  switch (c.kind) {
    case 'string':
      return c.mode === 'exact' ? eq('s', { e: c.value }) : eq('s', {});
    case 'token':
      return eq('t', { c: c.code, s: typeof c.system === 'string' ? c.system : undefined });
    case 'uri':
      return eq('u', { v: c.mode === 'exact' ? c.value : undefined });
    case 'reference': {
      // "local id or absolute url" stays one row condition that dotted paths cannot express: param only.
      if (c.url !== undefined && c.id !== undefined) return eq('r', {});
      if (c.url !== undefined) return eq('r', { u: c.url });
      return eq('r', { ti: c.id, tt: c.targetType });
    }
    case 'range': {
      const array = c.param.type === 'date' ? 'd' : c.param.type === 'number' ? 'n' : c.param.type === 'quantity' ? 'q' : undefined;
      return array === undefined ? ALWAYS : eq(array, {});
    }
    default: {
      const never: never = c;
      throw new Error(`unsupported leaf ${(never as { kind: string }).kind}`);
    }
  }
}
