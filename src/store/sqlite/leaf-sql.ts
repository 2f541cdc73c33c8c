import { badRequest } from '../../fhir/outcome.js';
import type { Clause, Prefix, SearchParamType } from '../../vocabulary/plan.js';
import { INDEX_KINDS, INDEX_TABLES, type IndexKind } from './schema.js';
import type { Binder } from './binder.js';

/** A leaf clause: one condition on the index rows of one parameter. */
export type Leaf = Extract<Clause, { kind: 'string' | 'token' | 'range' | 'reference' | 'uri' }>;

/** True when the clause is a leaf (reads the index rows of one parameter). */
export function isLeaf(c: Clause): c is Leaf {
  return c.kind === 'string' || c.kind === 'token' || c.kind === 'range' || c.kind === 'reference' || c.kind === 'uri';
}

/** The index table a leaf reads. */
export function leafTable(c: Leaf): string {
  return INDEX_TABLES[leafKind(c)];
}

function leafKind(c: Leaf): IndexKind {
  switch (c.kind) {
    case 'string': return 'string';
    case 'token': return 'token';
    case 'reference': return 'reference';
    case 'uri': return 'uri';
    case 'range':
      switch (c.param.type) {
        case 'date': return 'date';
        case 'number': return 'number';
        case 'quantity': return 'quantity';
        default: throw badRequest(`Parameter ${c.param.code} does not take a range.`);
      }
    default: {
      const never: never = c;
      throw badRequest(`unsupported leaf ${(never as { kind: string }).kind}`);
    }
  }
}

/** The index tables that can hold rows of a parameter of this type (composites spread over several). */
export function tablesOf(type: SearchParamType): string[] {
  switch (type) {
    case 'string': case 'token': case 'date': case 'number': case 'quantity': case 'reference': case 'uri':
      return [INDEX_TABLES[type]];
    case 'composite': case 'special':
      return INDEX_KINDS.map((k) => INDEX_TABLES[k]);
    default: {
      const never: never = type;
      throw badRequest(`unknown parameter type ${String(never)}`);
    }
  }
}

function unreachable(value: never, what: string): never {
  throw badRequest(`unsupported ${what} ${JSON.stringify(value)}`);
}

/**
 * The least string above every string that starts with `p`, or undefined when there is none (`p` is only
 * U+10FFFF): `p` with its last code point incremented. Exact because SQLite's BINARY collation compares
 * UTF-8 bytes, which order like code points; appending U+10FFFF instead would miss values continuing with it.
 */
function prefixUpperBound(p: string): string | undefined {
  const points = [...p].map((ch) => ch.codePointAt(0)!);
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop();
  const last = points.pop();
  if (last === undefined) return undefined;
  // Surrogate code points cannot be stored as text; the next character after U+D7FF is U+E000.
  points.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
  return String.fromCodePoint(...points);
}

/** `a.value` starts with the value bound to `v`, as an index range (param, value) plus an exact check. */
function startsWith(col: string, v: string, prefix: string, b: Binder): string {
  const upper = prefixUpperBound(prefix);
  const below = upper === undefined ? '' : ` AND ${col} < ${b.bind(upper)}`;
  return `${col} >= ${v}${below} AND substr(${col}, 1, length(${v})) = ${v}`;
}

/**
 * A condition on one index row aliased `a`, including its param, following the leaf semantics on `Clause`
 * (vocabulary/plan.ts); user values are bound.
 */
export function leafPredicate(c: Leaf, a: string, b: Binder): string {
  const conds = [`${a}.param = ${b.bind(c.param.code)}`];
  switch (c.kind) {
    case 'string': {
      const v = b.bind(c.value);
      // `:exact` goes through the (param, value) index on the folded form the parser computed, then compares the
      // exact text; folding is the same function the indexer used, so every exact match is among those rows.
      if (c.mode === 'exact') {
        if (c.folded !== undefined) conds.push(`${a}.value = ${b.bind(c.folded)}`);
        conds.push(`${a}.exact = ${v}`);
      }
      else if (c.mode === 'prefix') {
        conds.push(startsWith(`${a}.value`, v, c.value, b));
      } else conds.push(`instr(${a}.value, ${v}) > 0`);
      break;
    }
    case 'token':
      tokenConds(conds, a, c.system, c.code, b);
      break;
    case 'range':
      conds.push(rangeCondition(c.prefix, `${a}.low`, `${a}.high`, b.bind(c.low), b.bind(c.high)));
      if (c.param.type === 'quantity') {
        tokenConds(conds, a, c.system, c.code, b);
        if (c.unit !== undefined) {
          const u = b.bind(c.unit);
          conds.push(`(${a}.code = ${u} OR ${a}.unit = ${u})`);
        }
      }
      break;
    case 'reference': {
      const local: string[] = [];
      if (c.id !== undefined) local.push(`${a}.target_id = ${b.bind(c.id)}`);
      if (c.targetType !== undefined) local.push(`${a}.target_type = ${b.bind(c.targetType)}`);
      const byId = local.length > 0 ? local.join(' AND ') : undefined;
      const byUrl = c.url !== undefined ? `${a}.url = ${b.bind(c.url)}` : undefined;
      if (byId !== undefined && byUrl !== undefined && c.id !== undefined) conds.push(`((${byId}) OR ${byUrl})`);
      else if (byUrl !== undefined) conds.push(byUrl);
      else if (byId !== undefined) conds.push(byId);
      break;
    }
    case 'uri': {
      const v = b.bind(c.value);
      switch (c.mode) {
        case 'exact': conds.push(`${a}.value = ${v}`); break;
        case 'below':
          conds.push(startsWith(`${a}.value`, v, c.value, b));
          break;
        case 'above': conds.push(`${a}.value <= ${v} AND substr(${v}, 1, length(${a}.value)) = ${a}.value`); break;
        default:
          return unreachable(c, 'uri mode');
      }
      break;
    }
    default: {
      const never: never = c;
      throw badRequest(`unsupported leaf ${(never as { kind: string }).kind}`);
    }
  }
  return conds.join(' AND ');
}

/** Token rules: system undefined = any, null = stored system is null; code undefined = any. */
function tokenConds(conds: string[], a: string, system: string | null | undefined, code: string | undefined, b: Binder): void {
  if (code !== undefined) conds.push(`${a}.code = ${b.bind(code)}`);
  if (system === null) conds.push(`${a}.system IS NULL`);
  else if (system !== undefined) conds.push(`${a}.system = ${b.bind(system)}`);
}

/** The stored range [lo, hi] against the query range [low, high] for each prefix (plan.ts, search.html#prefix). */
function rangeCondition(prefix: Prefix, lo: string, hi: string, low: string, high: string): string {
  switch (prefix) {
    // `lo <= high` is implied (lo <= hi), but makes the scan of the (param, low) index two-sided.
    case 'eq': return `(${lo} >= ${low} AND ${hi} <= ${high})`;
    case 'ne': return `NOT (${lo} >= ${low} AND ${hi} <= ${high})`;
    case 'gt': return `${hi} > ${high}`;
    case 'lt': return `${lo} < ${low}`;
    case 'ge': return `(${hi} >= ${low} AND (${hi} > ${high} OR ${lo} >= ${low}))`;
    case 'le': return `(${lo} <= ${high} AND (${lo} < ${low} OR ${hi} <= ${high}))`;
    case 'sa': return `${lo} > ${high}`;
    case 'eb': return `${hi} < ${low}`;
    case 'ap': return `(${lo} <= ${high} AND ${hi} >= ${low})`;
    default: {
      const never: never = prefix;
      throw badRequest(`unknown prefix ${String(never)}`);
    }
  }
}
