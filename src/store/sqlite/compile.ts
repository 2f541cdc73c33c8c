import { badRequest } from '../../fhir/outcome.js';
import type { Clause, ParamRef, SortKey } from '../../vocabulary/plan.js';
import { Binder } from './binder.js';
import { isLeaf, leafPredicate, leafTable, tablesOf, type Leaf } from './leaf-sql.js';
import { driveRank, NOT_DRIVING } from './selectivity.js';

export { Binder, type SqlValue } from './binder.js';

/** Lists of terms longer than this are joined as a balanced tree (see `joined`). */
const FLAT_TERMS = 16;

/**
 * `(t1 OP t2 OP ...)`. SQLite parses `a OR b OR c` as a left-deep tree, so n terms nest n deep and a few hundred
 * values passed its expression depth limit (1000); long lists are grouped in balanced halves, log₂ n deep.
 * SQLite's planner splits nested terms of the same operator again, so the plan is the same.
 */
export function joined(terms: readonly string[], op: 'AND' | 'OR'): string {
  if (terms.length <= FLAT_TERMS) return `(${terms.join(` ${op} `)})`;
  const half = Math.ceil(terms.length / 2);
  return `(${joined(terms.slice(0, half), op)} ${op} ${joined(terms.slice(half), op)})`;
}

/** Beyond this many ids, an `ids` clause is bound as one JSON array instead of one placeholder each. */
const MAX_LISTED_IDS = 500;

/**
 * Compiles a clause into an SQL boolean expression about the resource row aliased `r` (columns rid, type, id),
 * following the semantics documented on `Clause` in vocabulary/plan.ts exactly.
 *
 * Shape, because SQLite materializes every uncorrelated `IN (subquery)` list in full before using any: in an
 * AND, the single narrowest clause (selectivity.ts) becomes `r.rid IN (index lookup)` and produces the
 * candidates; every other clause becomes a per-candidate check, `EXISTS (...)` on the (rid, param) index.
 * So a query costs its narrowest clause, not its broadest. Chains and `_has` nest the same compiler.
 */
export function compileClause(clause: Clause, r: string, b: Binder): string {
  return drive(clause, r, b);
}

/** The clause as a row source: a driving `IN` lookup where it can, a per-candidate check where it cannot. */
function drive(clause: Clause, r: string, b: Binder): string {
  switch (clause.kind) {
    case 'and': {
      const parts = flattenAnd(clause.clauses);
      if (parts.length === 0) return '1';
      const ranks = parts.map(driveRank);
      const best = Math.min(...ranks);
      const driver = best === NOT_DRIVING ? -1 : ranks.indexOf(best);
      // Narrower checks first, so that where SQLite keeps the written order a candidate fails at the first probe.
      const rest = parts.map((c, i) => ({ c, i, rank: ranks[i]! })).filter((x) => x.i !== driver).sort((x, y) => x.rank - y.rank);
      const sql = [...(driver >= 0 ? [drive(parts[driver]!, r, b)] : []), ...rest.map((x) => check(x.c, r, b))];
      return sql.length === 1 ? sql[0]! : joined(sql, 'AND');
    }
    case 'or':
      if (clause.clauses.length === 0) return '0';
      if (driveRank(clause) === NOT_DRIVING) return check(clause, r, b);
      // Each branch is an index lookup, which SQLite unions (MULTI-INDEX OR); leaves of one table share one lookup.
      return orOf(clause.clauses, r, b, (group) => drivingLookup(group, r, b), (c) => drive(c, r, b));
    case 'string': case 'token': case 'range': case 'reference': case 'uri':
      if (clause.kind === 'token' && clause.param.code === '_id') return idToken(clause, r, b, true);
      return drivingLookup([clause], r, b);
    case 'composite': {
      if (clause.parts.length === 0) return '1';
      const g = b.alias('g');
      return `${r}.rid IN (SELECT ${g}.rid FROM ${compositeFrom(clause.parts, g, b)})`;
    }
    case 'chain': {
      const ref = b.alias('c');
      const t = b.alias('t');
      // CROSS JOIN fixes the join order: find the targets first, then the rows pointing at them.
      return `${r}.rid IN (SELECT ${ref}.rid FROM resources ${t} CROSS JOIN idx_reference ${ref} ` +
        `ON ${ref}.target_id = ${t}.id AND ${ref}.target_type = ${t}.type ` +
        `WHERE ${ref}.param = ${b.bind(clause.param.code)}${targetTypes(clause.targetTypes, t, b)} AND ${t}.deleted = 0 ` +
        `AND ${drive(clause.where, t, b)})`;
    }
    case 'has': {
      const ref = b.alias('h');
      const s = b.alias('s');
      const t = b.alias('t');
      return `${r}.rid IN (SELECT ${t}.rid FROM resources ${s} JOIN idx_reference ${ref} ON ${ref}.rid = ${s}.rid ` +
        `JOIN resources ${t} ON ${t}.type = ${ref}.target_type AND ${t}.id = ${ref}.target_id ` +
        `WHERE ${s}.type = ${b.bind(clause.sourceType)} AND ${s}.deleted = 0 AND ${ref}.param = ${b.bind(clause.param.code)} ` +
        `AND ${drive(clause.where, s, b)})`;
    }
    case 'ids': {
      if (clause.ids.length === 0) return '0';
      const x = b.alias('x');
      return `${r}.rid IN (SELECT ${x}.rid FROM resources ${x} WHERE ${x}.id IN (${idList(clause.ids, b)}))`;
    }
    case 'missing': case 'not':
      return check(clause, r, b);
    default: {
      const never: never = clause;
      throw badRequest(`unsupported search clause ${(never as { kind: string }).kind}`);
    }
  }
}

/**
 * The clause as a test of one given candidate `r`: every index access is correlated on `r.rid` through the
 * (rid, param) indexes. INDEXED BY because SQLite, lacking statistics, otherwise prefers the (param, value)
 * indexes and walks every row of the parameter for each candidate.
 */
function check(clause: Clause, r: string, b: Binder): string {
  switch (clause.kind) {
    case 'and':
      return clause.clauses.length === 0 ? '1' : joined(clause.clauses.map((c) => check(c, r, b)), 'AND');
    case 'or':
      if (clause.clauses.length === 0) return '0';
      return orOf(clause.clauses, r, b, (group) => candidateLookup(group, r, b), (c) => check(c, r, b));
    case 'not':
      return `NOT (${check(clause.clause, r, b)})`;
    case 'ids':
      return clause.ids.length === 0 ? '0' : `${r}.id IN (${idList(clause.ids, b)})`;
    case 'missing': {
      // Every resource has an id, and `_id` is answered from the resource row (it has no index rows here).
      if (clause.param.code === '_id') return clause.missing ? '0' : '1';
      // A composite is present when its first component is (index-values.ts: rows `<code>.<i>` per group).
      const code = clause.param.type === 'composite' ? `${clause.param.code}.0` : clause.param.code;
      const probes = tablesOf(clause.param.type).map((t) => {
        const a = b.alias('m');
        return `EXISTS (SELECT 1 FROM ${t} ${a} INDEXED BY ${t}_rid WHERE ${a}.rid = ${r}.rid AND ${a}.param = ${b.bind(code)})`;
      });
      const present = probes.length === 1 ? probes[0]! : joined(probes, 'OR');
      return clause.missing ? `NOT ${present}` : present;
    }
    case 'string': case 'token': case 'range': case 'reference': case 'uri':
      if (clause.kind === 'token' && clause.param.code === '_id') return idToken(clause, r, b);
      return candidateLookup([clause], r, b);
    case 'composite': {
      if (clause.parts.length === 0) return '1';
      const g = b.alias('g');
      return `EXISTS (SELECT 1 FROM ${compositeFrom(clause.parts, g, b, `${g}.rid = ${r}.rid`)})`;
    }
    case 'chain': {
      const ref = b.alias('c');
      const t = b.alias('t');
      // CROSS JOIN fixes the order: this candidate's reference rows first, then their targets by (type, id).
      return `EXISTS (SELECT 1 FROM idx_reference ${ref} INDEXED BY idx_reference_rid CROSS JOIN resources ${t} ` +
        `ON ${t}.type = ${ref}.target_type AND ${t}.id = ${ref}.target_id ` +
        `WHERE ${ref}.rid = ${r}.rid AND ${ref}.param = ${b.bind(clause.param.code)}${targetTypes(clause.targetTypes, t, b)} ` +
        `AND ${t}.deleted = 0 AND ${check(clause.where, t, b)})`;
    }
    case 'has': {
      const ref = b.alias('h');
      const s = b.alias('s');
      // The rows pointing at this candidate first (by target), then their sources by rid.
      return `EXISTS (SELECT 1 FROM idx_reference ${ref} INDEXED BY idx_reference_by_target CROSS JOIN resources ${s} ` +
        `ON ${s}.rid = ${ref}.rid WHERE ${ref}.target_type = ${r}.type AND ${ref}.target_id = ${r}.id ` +
        `AND ${ref}.param = ${b.bind(clause.param.code)} AND ${s}.type = ${b.bind(clause.sourceType)} AND ${s}.deleted = 0 ` +
        `AND ${check(clause.where, s, b)})`;
    }
    default: {
      const never: never = clause;
      throw badRequest(`unsupported search clause ${(never as { kind: string }).kind}`);
    }
  }
}

/** Leaves of the same parameter, as a row source: one lookup in the (param, value) indexes. */
function drivingLookup(leaves: Leaf[], r: string, b: Binder): string {
  const a = b.alias('i');
  return `${r}.rid IN (SELECT ${a}.rid FROM ${leafTable(leaves[0]!)} ${a} WHERE ${anyOf(leaves, a, b)})`;
}

/** Leaves of one table, as a test of candidate `r`: a probe of its (rid, param) rows. */
function candidateLookup(leaves: Leaf[], r: string, b: Binder): string {
  const a = b.alias('e');
  const table = leafTable(leaves[0]!);
  return `EXISTS (SELECT 1 FROM ${table} ${a} INDEXED BY ${table}_rid WHERE ${a}.rid = ${r}.rid AND ${anyOf(leaves, a, b)})`;
}

/** Leaf predicates on one row `a`, ORed. */
function anyOf(leaves: Leaf[], a: string, b: Binder): string {
  if (leaves.length === 1) return leafPredicate(leaves[0]!, a, b);
  return joined(leaves.map((l) => `(${leafPredicate(l, a, b)})`), 'OR');
}

/**
 * An OR whose leaves are grouped by index table (`code=a,b` stays one lookup instead of one per value);
 * `_id` tokens and non-leaves are compiled one by one.
 */
function orOf(clauses: Clause[], r: string, b: Binder, lookup: (group: Leaf[]) => string, other: (c: Clause) => string): string {
  const groups = new Map<string, Leaf[]>();
  const others: Clause[] = [];
  for (const c of clauses) {
    if (isLeaf(c) && !(c.kind === 'token' && c.param.code === '_id')) {
      const table = leafTable(c);
      const group = groups.get(table);
      if (group === undefined) groups.set(table, [c]);
      else group.push(c);
    } else others.push(c);
  }
  const sql = [...[...groups.values()].map(lookup), ...others.map(other)];
  return sql.length === 1 ? sql[0]! : joined(sql, 'OR');
}

/** Nested ANDs as one list, so the driver is chosen among all of them. */
function flattenAnd(clauses: Clause[]): Clause[] {
  return clauses.flatMap((c) => (c.kind === 'and' ? flattenAnd(c.clauses) : [c]));
}

function targetTypes(types: string[], t: string, b: Binder): string {
  return types.length === 0 ? '' : ` AND ${t}.type IN (${types.map((x) => b.bind(x)).join(', ')})`;
}

/**
 * `_id` as a token compares the logical id (a system or a code-less token never matches). As a driver it finds
 * the rids through the (id) index: without statistics SQLite otherwise scans the (type, deleted) index in rid
 * order to spare the sort of a `r.id = ?` match, which walks every resource of the type.
 */
function idToken(c: Extract<Clause, { kind: 'token' }>, r: string, b: Binder, driving = false): string {
  if (c.code === undefined || (c.system !== undefined && c.system !== null)) return '0';
  if (!driving) return `${r}.id = ${b.bind(c.code)}`;
  const x = b.alias('x');
  return `${r}.rid IN (SELECT ${x}.rid FROM resources ${x} WHERE ${x}.id = ${b.bind(c.code)})`;
}

/** Bound ids for an `IN (...)`: one placeholder each, or one JSON array (json_each) so huge lists stay bindable. */
function idList(ids: string[], b: Binder): string {
  if (ids.length > MAX_LISTED_IDS) return `SELECT value FROM json_each(${b.bind(JSON.stringify(ids))})`;
  return ids.map((id) => b.bind(id)).join(', ');
}

/**
 * `FROM ... WHERE ...` joining one index row per part on (rid, grp); the first part's row is aliased `g`.
 * With `correlate` (a condition on `g.rid`) every row is reached through the (rid, param) indexes.
 */
function compositeFrom(parts: Clause[], g: string, b: Binder, correlate?: string): string {
  const from: string[] = [];
  const where: string[] = correlate === undefined ? [] : [correlate];
  parts.forEach((part, i) => {
    if (!isLeaf(part)) throw badRequest('A composite search parameter part must be a simple value.');
    const a = i === 0 ? g : b.alias('g');
    const table = leafTable(part);
    const hint = correlate === undefined ? '' : ` INDEXED BY ${table}_rid`;
    from.push(i === 0 ? `${table} ${a}${hint}` : `JOIN ${table} ${a}${hint} ON ${a}.rid = ${g}.rid AND ${a}.grp = ${g}.grp`);
    where.push(leafPredicate(part, a, b));
  });
  return `${from.join(' ')} WHERE ${where.length > FLAT_TERMS ? joined(where, 'AND') : where.join(' AND ')}`;
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
