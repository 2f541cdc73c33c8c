import { badRequest } from '../../fhir/outcome.js';
import type { Page, StoredVersion } from '../port.js';
import type { StoreQuery } from '../../vocabulary/plan.js';
import { Binder, limitClause } from './binder.js';
import { compileClause, sortExpression } from './compile.js';
import { decodeCursor, encodeCursor, type Cursor, type KeyValue } from '../cursor.js';
import { currentColumns, toVersion, type VersionRow } from './rows.js';
import type { StatementCache } from './statement-cache.js';

/** Largest page a store call returns, whatever the caller asks (the search service caps `_count` lower). */
const MAX_PAGE = 1000;

interface KeyedRow {
  rid: number;
  [key: `k${number}`]: KeyValue;
}

/**
 * One page of current, non-deleted resources matching `query` (FHIR R4 search.html), ordered by the sort
 * keys (no value last) and then by the creation sequence, with keyset cursors in both directions; walking
 * `next` to the end yields every match exactly once even while resources are created meanwhile.
 * `total` is a COUNT over the same conditions when asked for ('estimate' is answered exactly).
 */
export function searchPage(cache: StatementCache, query: StoreQuery): Page<StoredVersion> {
  const b = new Binder();
  const base = baseConditions(query, b);
  const count = Math.min(MAX_PAGE, Math.max(0, Math.floor(query.count)));
  const result: Page<StoredVersion> = { items: [] };
  const countAll = (): number => (cache.get(`SELECT COUNT(*) AS n FROM resources r WHERE ${base.join(' AND ')}`).get(b.params) as { n: number }).n;
  if (count === 0) {
    if (query.total !== 'none') result.total = countAll();
    return result;
  }

  const keyExprs = query.sort.map((k) => sortExpression(k, 'r', b));
  const desc = [...query.sort.map((k) => k.descending), false];
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, keyExprs.length + 1);
  const backward = cursor?.direction === 'previous';
  const names = [...keyExprs.map((_, i) => `k${i}`), 'rid'];
  const columns = keyExprs.length === 0 ? ['r.rid'] : names;
  const keyset = cursor === undefined ? undefined : keysetCondition(columns, desc, cursor, b);
  // Walking backward reverses every direction (nulls included), then the page is flipped back.
  const order = columns.map((n, i) => {
    const d = desc[i] !== backward ? 'DESC' : 'ASC';
    // NULLS LAST/FIRST rather than a `(k IS NULL)` key: that second expression made SQLite evaluate the sort-key
    // subquery twice per row.
    return i === columns.length - 1 ? `${n} ${d}` : `${n} ${d} NULLS ${backward ? 'FIRST' : 'LAST'}`;
  }).join(', ');
  const limit = limitClause(b.bind(count + 1));

  let rows: VersionRow[];
  let keyed: KeyedRow[];
  if (keyExprs.length === 0) {
    // Default order: stream the resource rows in rid order; JSON is read only for the rows returned.
    const sql = `SELECT r.rid AS rid, ${currentColumns('r')} FROM resources r ` +
      `WHERE ${[...base, ...(keyset ? [keyset] : [])].join(' AND ')} ORDER BY ${order} ${limit}`;
    const all = cache.get(sql).all(b.params) as (VersionRow & KeyedRow)[];
    rows = all;
    keyed = all;
  } else {
    // Sorted: order (rid, keys) first, keeping the JSON out of the sorter, then join the JSON of the page only
    // (the LIMIT inside the subquery keeps SQLite from flattening it into the join).
    const inner = `SELECT r.rid AS rid, ${keyExprs.map((e, i) => `${e} AS k${i}`).join(', ')} FROM resources r WHERE ${base.join(' AND ')}`;
    const ordered = `SELECT * FROM (${inner})${keyset ? ` WHERE ${keyset}` : ''} ORDER BY ${order} ${limit}`;
    const sql = `SELECT p.*, ${currentColumns('r')} FROM (${ordered}) p CROSS JOIN resources r ON r.rid = p.rid ORDER BY ${order}`;
    const all = cache.get(sql).all(b.params) as (VersionRow & KeyedRow)[];
    rows = all;
    keyed = all;
  }

  const more = keyed.length > count;
  if (query.total !== 'none') {
    // A first page that holds every match already is the total: the COUNT would only repeat the search.
    result.total = cursor === undefined && !more ? keyed.length : countAll();
  }
  const pageKeys = keyed.slice(0, count);
  const pageRows = rows.slice(0, count);
  if (backward) {
    pageKeys.reverse();
    pageRows.reverse();
  }
  result.items = pageRows.map(toVersion);
  const keysOf = (row: KeyedRow): KeyValue[] => names.map((n) => (n === 'rid' ? row.rid : row[n as `k${number}`] ?? null));
  const first = pageKeys[0];
  const last = pageKeys[pageKeys.length - 1];
  const hasNext = backward ? cursor !== undefined : more;
  const hasPrevious = backward ? more : cursor !== undefined;
  if (hasNext && last !== undefined) result.next = encodeCursor({ direction: 'next', keys: keysOf(last) });
  if (hasPrevious && first !== undefined) result.previous = encodeCursor({ direction: 'previous', keys: keysOf(first) });
  return result;
}

/** Live resources of the requested types that satisfy the clause. */
function baseConditions(query: StoreQuery, b: Binder): string[] {
  const conds = ['r.deleted = 0'];
  if (query.types.length === 1) conds.push(`r.type = ${b.bind(query.types[0]!)}`);
  else if (query.types.length > 1) conds.push(`r.type IN (${query.types.map((t) => b.bind(t)).join(', ')})`);
  if (query.where !== undefined) conds.push(compileClause(query.where, 'r', b));
  return conds;
}

/**
 * Rows strictly after (next) or before (previous) the cursor position in the lexicographic order of
 * `columns` (the last one being the unique sequence) with nulls last:
 * `k0 beyond c0 OR (k0 = c0 AND k1 beyond c1) OR ...`, each comparison NULL-aware.
 */
function keysetCondition(columns: string[], desc: boolean[], cursor: Cursor, b: Binder): string {
  const backward = cursor.direction === 'previous';
  const disjuncts: string[] = [];
  const prior: string[] = [];
  columns.forEach((n, i) => {
    const c = cursor.keys[i] ?? null;
    const isSequence = i === columns.length - 1;
    if (isSequence && typeof c !== 'number') throw badRequest('The paging cursor is invalid.');
    // The comparison that moves on in the walk direction.
    const op = desc[i] === backward ? '>' : '<';
    const v = c === null ? undefined : b.bind(c);
    let beyond: string | undefined;
    if (v === undefined) beyond = backward ? `${n} IS NOT NULL` : undefined; // nothing lies past the nulls going forward
    else if (isSequence) beyond = `${n} ${op} ${v}`;
    else beyond = backward ? `(${n} IS NOT NULL AND ${n} ${op} ${v})` : `(${n} IS NULL OR ${n} ${op} ${v})`;
    if (beyond !== undefined) disjuncts.push(prior.length > 0 ? `(${prior.join(' AND ')} AND ${beyond})` : beyond);
    prior.push(v === undefined ? `${n} IS NULL` : `${n} = ${v}`);
  });
  return disjuncts.length === 0 ? '0' : `(${disjuncts.join(' OR ')})`;
}
