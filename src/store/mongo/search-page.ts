/**
 * One page of search results on the MongoDB store: an aggregation per resource type (filter, computed sort keys,
 * keyset condition, sort, limit), merged in process when several types are searched. Same order and cursors as the
 * SQLite store: the sort keys (a resource without a value last), then the creation sequence `seq`; keyset paging in
 * both directions, never `skip`.
 */
import type { Document, Filter } from 'mongodb';
import { badRequest } from '../../fhir/outcome.js';
import type { SortKey, StoreQuery } from '../../vocabulary/plan.js';
import type { Page, StoredVersion } from '../../vocabulary/versions.js';
import { decodeCursor, encodeCursor, type Cursor, type KeyValue } from '../cursor.js';
import { fromCurrent, VERSION_PROJECTION, type CurrentDoc } from './documents.js';

/** Largest page a store call returns, whatever the caller asks (the search service caps `_count` lower). */
const MAX_PAGE = 1000;

/** What the page needs from the store: the filter of one type, its aggregation, and a count. */
export interface SearchSource {
  /** The resource types to search (every type with a collection when the query names none). */
  types(query: StoreQuery): Promise<string[]>;
  /** The filter on live current documents of `type` for the query's clause. */
  filter(type: string, query: StoreQuery): Promise<Filter<Document>>;
  aggregate(type: string, pipeline: Document[]): Promise<Document[]>;
  count(type: string, filter: Filter<Document>): Promise<number>;
}

type Row = Pick<CurrentDoc, '_id' | 'vid' | 'lu' | 'del' | 'm' | 'json' | 'seq'> & Record<`k${number}`, KeyValue | undefined>;

/** The aggregation expression of one sort key: the lowest value ascending, the highest descending; null when none. */
function sortExpression(key: SortKey): Document | string {
  const p = key.param;
  if (p.code === '_id') return '$_id';
  if (p.code === '_lastUpdated') return '$lu';
  const of = (array: string, field: string): Document => ({
    [key.descending ? '$max' : '$min']: {
      $map: {
        input: { $filter: { input: `$${array}`, as: 'e', cond: { $eq: ['$$e.p', { $literal: p.code }] } } },
        as: 'e', in: `$$e.${field}`,
      },
    },
  });
  switch (p.type) {
    case 'string': return of('s', 'v');
    case 'token': return of('t', 'c');
    case 'date': return of('d', key.descending ? 'hi' : 'lo');
    case 'number': return of('n', 'x');
    case 'quantity': return of('q', 'x');
    case 'reference': return of('r', 'k');
    case 'uri': return of('u', 'v');
    case 'composite': case 'special':
      throw badRequest(`Sorting by ${p.code} is not supported.`, undefined, 'not-supported');
    default: {
      const never: never = p.type;
      throw badRequest(`unknown parameter type ${String(never)}`);
    }
  }
}

/** Compares two key values the way MongoDB orders them (strings by code point, as UTF-8 bytes compare). */
function compareValues(a: KeyValue, b: KeyValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return String(a).localeCompare(String(b));
}

/**
 * The rows strictly beyond the cursor, in the lexicographic order of (null flag, key) pairs and then `seq`:
 * `beyond(0) OR (equal(0) AND beyond(1)) OR ...`.
 */
function keysetFilter(sort: SortKey[], cursor: Cursor): Document {
  const backward = cursor.direction === 'previous';
  const seq = cursor.keys[cursor.keys.length - 1];
  if (typeof seq !== 'number') throw badRequest('The paging cursor is invalid.');
  const disjuncts: Document[] = [];
  const prior: Document[] = [];
  sort.forEach((key, i) => {
    const c = cursor.keys[i] ?? null;
    const nf = c === null ? 1 : 0;
    const beyond: Document[] = [];
    // Resources without a value come last going forward, so they lie beyond any value (and before it, backward).
    if (!backward && nf === 0) beyond.push({ [`n${i}`]: { $eq: 1 } });
    if (backward && nf === 1) beyond.push({ [`n${i}`]: { $eq: 0 } });
    if (nf === 0) {
      const op = key.descending === backward ? '$gt' : '$lt';
      beyond.push({ [`n${i}`]: { $eq: 0 }, [`k${i}`]: { [op]: c } });
    }
    for (const b of beyond) disjuncts.push(prior.length > 0 ? { $and: [...prior, b] } : b);
    prior.push(nf === 1 ? { [`n${i}`]: { $eq: 1 } } : { [`n${i}`]: { $eq: 0 }, [`k${i}`]: { $eq: c } });
  });
  const seqBeyond = { seq: backward ? { $lt: seq } : { $gt: seq } };
  disjuncts.push(prior.length > 0 ? { $and: [...prior, seqBeyond] } : seqBeyond);
  return disjuncts.length === 1 ? disjuncts[0]! : { $or: disjuncts };
}

/** One page of current, non-deleted resources matching `query` (FHIR R4 search.html). */
export async function searchPage(source: SearchSource, query: StoreQuery): Promise<Page<StoredVersion>> {
  const types = await source.types(query);
  const count = Math.min(MAX_PAGE, Math.max(0, Math.floor(query.count)));
  const result: Page<StoredVersion> = { items: [] };
  const filters = new Map<string, Filter<Document>>();
  for (const t of types) filters.set(t, await source.filter(t, query));
  const countAll = async (): Promise<number> => {
    let n = 0;
    for (const [t, f] of filters) n += await source.count(t, f);
    return n;
  };
  if (count === 0) {
    if (query.total !== 'none') result.total = await countAll();
    return result;
  }
  const sort = query.sort;
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort.length + 1);
  const backward = cursor?.direction === 'previous';
  const addFields: Document = {};
  sort.forEach((k, i) => {
    addFields[`k${i}`] = sortExpression(k);
  });
  const flags: Document = {};
  sort.forEach((_, i) => {
    flags[`n${i}`] = { $cond: [{ $eq: [{ $ifNull: [`$k${i}`, null] }, null] }, 1, 0] };
  });
  // Walking backward reverses every direction (nulls included), then the page is flipped back.
  const order: Document = {};
  sort.forEach((k, i) => {
    order[`n${i}`] = backward ? -1 : 1;
    order[`k${i}`] = k.descending !== backward ? -1 : 1;
  });
  order['seq'] = backward ? -1 : 1;
  const project: Document = { ...VERSION_PROJECTION, seq: 1 };
  sort.forEach((_, i) => {
    project[`k${i}`] = 1;
  });

  const rows: (Row & { type: string })[] = [];
  for (const [t, f] of filters) {
    const pipeline: Document[] = [{ $match: f }];
    if (sort.length > 0) pipeline.push({ $addFields: addFields }, { $addFields: flags });
    if (cursor !== undefined) pipeline.push({ $match: keysetFilter(sort, cursor) });
    pipeline.push({ $sort: order }, { $limit: count + 1 }, { $project: project });
    for (const d of await source.aggregate(t, pipeline)) rows.push({ ...(d as Row), type: t });
  }
  const keysOf = (r: Row): KeyValue[] => [...sort.map((_, i) => r[`k${i}`] ?? null), r.seq];
  if (filters.size > 1) {
    const dir = sort.map((k) => (k.descending !== backward ? -1 : 1));
    rows.sort((a, b) => {
      const ka = keysOf(a);
      const kb = keysOf(b);
      for (let i = 0; i < sort.length; i++) {
        const x = ka[i] ?? null;
        const y = kb[i] ?? null;
        if (x === null || y === null) {
          if (x !== y) return (x === null ? 1 : -1) * (backward ? -1 : 1);
          continue;
        }
        const c = compareValues(x, y);
        if (c !== 0) return c * dir[i]!;
      }
      return ((a.seq as number) - (b.seq as number)) * (backward ? -1 : 1);
    });
  }
  const more = rows.length > count;
  if (query.total !== 'none') result.total = cursor === undefined && !more ? rows.length : await countAll();
  const page = rows.slice(0, count);
  if (backward) page.reverse();
  result.items = page.map((r) => fromCurrent(r.type, r));
  const first = page[0];
  const last = page[page.length - 1];
  const hasNext = backward ? cursor !== undefined : more;
  const hasPrevious = backward ? more : cursor !== undefined;
  if (hasNext && last !== undefined) result.next = encodeCursor({ direction: 'next', keys: keysOf(last) });
  if (hasPrevious && first !== undefined) result.previous = encodeCursor({ direction: 'previous', keys: keysOf(first) });
  return result;
}
