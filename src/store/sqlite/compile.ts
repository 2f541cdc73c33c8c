import { badRequest } from '../../fhir/outcome.js';
import type { Clause, ParamRef, Prefix, SearchParamType, SortKey } from '../../search/plan.js';
import { INDEX_KINDS, INDEX_TABLES, type IndexKind } from './schema.js';

/** A value bound to an SQL parameter. */
export type SqlValue = string | number | null;

/**
 * Collects bound parameters and fresh table aliases while a query is compiled. Placeholders are named by
 * position in the compile walk, so the SQL text depends only on the query's shape (and can be cached),
 * and every user value reaches SQLite as a bound parameter, never as SQL text.
 */
export class Binder {
  readonly params: Record<string, SqlValue> = {};
  private n = 0;
  private aliases = 0;

  /** A placeholder bound to `value`. */
  bind(value: SqlValue): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `@${name}`;
  }

  /** A table alias not used anywhere else in this query. */
  alias(prefix: string): string {
    return `${prefix}${this.aliases++}`;
  }
}

/** Beyond this many ids, an `ids` clause is bound as one JSON array instead of one placeholder each. */
const MAX_LISTED_IDS = 500;

/** A leaf clause: one condition on the index rows of one parameter. */
type Leaf = Extract<Clause, { kind: 'string' | 'token' | 'range' | 'reference' | 'uri' }>;

/**
 * Compiles a clause into an SQL boolean expression about the resource row aliased `r` (columns rid, type, id),
 * following the semantics documented on `Clause` in search/plan.ts exactly. Leaves and composites become
 * `r.rid IN (index lookup)`, so SQLite drives them from the (param, value...) indexes; chains and `_has`
 * nest the same compiler on the joined resource, to any depth.
 */
export function compileClause(clause: Clause, r: string, b: Binder): string {
  switch (clause.kind) {
    case 'and':
      return clause.clauses.length === 0 ? '1' : `(${clause.clauses.map((c) => compileClause(c, r, b)).join(' AND ')})`;
    case 'or':
      return clause.clauses.length === 0 ? '0' : `(${clause.clauses.map((c) => compileClause(c, r, b)).join(' OR ')})`;
    case 'not':
      return `NOT (${compileClause(clause.clause, r, b)})`;
    case 'ids':
      if (clause.ids.length === 0) return '0';
      // A list of placeholders lets SQLite probe the (type, id) index; json_each keeps huge lists bindable.
      if (clause.ids.length > MAX_LISTED_IDS) return `${r}.id IN (SELECT value FROM json_each(${b.bind(JSON.stringify(clause.ids))}))`;
      return `${r}.id IN (${clause.ids.map((id) => b.bind(id)).join(', ')})`;
    case 'missing': {
      // A composite is present when its first component is (index-values.ts: rows `<code>.<i>` per group).
      const code = clause.param.type === 'composite' ? `${clause.param.code}.0` : clause.param.code;
      const lookups = tablesOf(clause.param.type).map((t) => {
        const a = b.alias('m');
        return `${r}.rid IN (SELECT ${a}.rid FROM ${t} ${a} WHERE ${a}.param = ${b.bind(code)})`;
      });
      const present = lookups.length === 1 ? lookups[0]! : `(${lookups.join(' OR ')})`;
      return clause.missing ? `NOT ${present}` : present;
    }
    case 'string': case 'token': case 'range': case 'reference': case 'uri': {
      if (clause.kind === 'token' && clause.param.code === '_id') return idToken(clause, r, b);
      const a = b.alias('i');
      const table = INDEX_TABLES[leafKind(clause)];
      return `${r}.rid IN (SELECT ${a}.rid FROM ${table} ${a} WHERE ${leafPredicate(clause, a, b)})`;
    }
    case 'composite':
      return compileComposite(clause.parts, r, b);
    case 'chain': {
      const ref = b.alias('c');
      const t = b.alias('t');
      const types = clause.targetTypes.length === 0 ? '' : ` AND ${t}.type IN (${clause.targetTypes.map((x) => b.bind(x)).join(', ')})`;
      // CROSS JOIN fixes the join order: find the targets first, then the rows pointing at them.
      return `${r}.rid IN (SELECT ${ref}.rid FROM resources ${t} CROSS JOIN idx_reference ${ref} ` +
        `ON ${ref}.target_id = ${t}.id AND ${ref}.target_type = ${t}.type ` +
        `WHERE ${ref}.param = ${b.bind(clause.param.code)}${types} AND ${t}.deleted = 0 AND ${compileClause(clause.where, t, b)})`;
    }
    case 'has': {
      const ref = b.alias('h');
      const s = b.alias('s');
      const t = b.alias('t');
      return `${r}.rid IN (SELECT ${t}.rid FROM resources ${s} JOIN idx_reference ${ref} ON ${ref}.rid = ${s}.rid ` +
        `JOIN resources ${t} ON ${t}.type = ${ref}.target_type AND ${t}.id = ${ref}.target_id ` +
        `WHERE ${s}.type = ${b.bind(clause.sourceType)} AND ${s}.deleted = 0 AND ${ref}.param = ${b.bind(clause.param.code)} ` +
        `AND ${compileClause(clause.where, s, b)})`;
    }
    default: {
      const never: never = clause;
      throw badRequest(`unsupported search clause ${(never as { kind: string }).kind}`);
    }
  }
}

/** `_id` as a token compares the logical id column directly (a system or a code-less token never matches). */
function idToken(c: Extract<Clause, { kind: 'token' }>, r: string, b: Binder): string {
  if (c.code === undefined || (c.system !== undefined && c.system !== null)) return '0';
  return `${r}.id = ${b.bind(c.code)}`;
}

/** A composite matches when one `group` of the resource satisfies every part (rows joined on rid and grp). */
function compileComposite(parts: Clause[], r: string, b: Binder): string {
  if (parts.length === 0) return '1';
  const aliases: string[] = [];
  const from: string[] = [];
  const where: string[] = [];
  for (const part of parts) {
    if (!isLeaf(part)) throw badRequest('A composite search parameter part must be a simple value.');
    const a = b.alias('g');
    const first = aliases[0];
    const table = INDEX_TABLES[leafKind(part)];
    from.push(first === undefined ? `${table} ${a}` : `JOIN ${table} ${a} ON ${a}.rid = ${first}.rid AND ${a}.grp = ${first}.grp`);
    aliases.push(a);
    where.push(leafPredicate(part, a, b));
  }
  return `${r}.rid IN (SELECT ${aliases[0]}.rid FROM ${from.join(' ')} WHERE ${where.join(' AND ')})`;
}

function isLeaf(c: Clause): c is Leaf {
  return c.kind === 'string' || c.kind === 'token' || c.kind === 'range' || c.kind === 'reference' || c.kind === 'uri';
}

/** Which index table a leaf reads. */
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
function tablesOf(type: SearchParamType): string[] {
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

/** The upper bound of a prefix range: every string that starts with `p` sorts below it. */
function prefixEnd(p: string): string {
  return `${p}\u{10FFFF}`;
}

/** A condition on one index row aliased `a`, including its param; user values are bound. */
function leafPredicate(c: Leaf, a: string, b: Binder): string {
  const conds = [`${a}.param = ${b.bind(c.param.code)}`];
  switch (c.kind) {
    case 'string': {
      const v = b.bind(c.value);
      if (c.mode === 'exact') conds.push(`${a}.exact = ${v}`);
      else if (c.mode === 'prefix') {
        conds.push(`${a}.value >= ${v} AND ${a}.value < ${b.bind(prefixEnd(c.value))} AND substr(${a}.value, 1, length(${v})) = ${v}`);
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
          conds.push(`${a}.value >= ${v} AND ${a}.value < ${b.bind(prefixEnd(c.value))} AND substr(${a}.value, 1, length(${v})) = ${v}`);
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

/**
 * The SQL expression of one sort key for resource `r`: ascending uses the resource's lowest value,
 * descending its highest; NULL when the resource has no value (sorted last by the caller).
 */
export function sortExpression(key: SortKey, r: string, b: Binder): string {
  const p: ParamRef = key.param;
  if (p.code === '_id') return `${r}.id`;
  if (p.code === '_lastUpdated') return `${r}.last_updated`;
  const agg = key.descending ? 'MAX' : 'MIN';
  const a = b.alias('k');
  // INDEXED BY: without it SQLite's MIN/MAX optimization walks the (param, value) index of the whole param.
  const sub = (table: string, expr: string) =>
    `(SELECT ${agg}(${expr}) FROM ${table} ${a} INDEXED BY ${table}_rid WHERE ${a}.rid = ${r}.rid AND ${a}.param = ${b.bind(p.code)})`;
  switch (p.type) {
    case 'string': return sub('idx_string', `${a}.value`);
    case 'token': return sub('idx_token', `${a}.code`);
    case 'date': return sub('idx_date', key.descending ? `${a}.high` : `${a}.low`);
    case 'number': return sub('idx_number', `${a}.value`);
    case 'quantity': return sub('idx_quantity', `${a}.value`);
    case 'reference': return sub('idx_reference', `coalesce(${a}.target_type || '/' || ${a}.target_id, ${a}.url)`);
    case 'uri': return sub('idx_uri', `${a}.value`);
    case 'composite': case 'special':
      throw badRequest(`Sorting by ${p.code} is not supported.`, undefined, 'not-supported');
    default: {
      const never: never = p.type;
      throw badRequest(`unknown parameter type ${String(never)}`);
    }
  }
}
