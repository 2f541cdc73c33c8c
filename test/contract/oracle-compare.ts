/**
 * Comparison helpers of the search oracle: walking every page of a store search, the sort key of a
 * resource as the stores document it (src/store/sqlite/compile.ts `sortExpression`: ascending uses the
 * lowest value, descending the highest, resources without a value last), and order checking.
 */
import type { IndexValue } from '../../src/vocabulary/index-values.js';
import type { SortKey, StoreQuery } from '../../src/vocabulary/plan.js';
import type { ResourceStore } from '../../src/store/port.js';

/** The outcome of walking `next` cursors from the first page to the last. */
export interface Walk {
  refs: string[];
  pages: number;
  error?: string;
  /** The refs of the last page and its `previous` cursor (for walking back). */
  lastPage?: string[];
  previous?: string;
}

/** Runs `query` and follows `next` to the end (at most `maxPages` pages). */
export async function walkPages(store: ResourceStore, query: StoreQuery, maxPages = 5000): Promise<Walk> {
  const refs: string[] = [];
  let pages = 0;
  try {
    let page = await store.search(query);
    for (;;) {
      pages++;
      const here = page.items.map((v) => `${v.resourceType}/${v.id}`);
      refs.push(...here);
      if (page.next === undefined) return { refs, pages, lastPage: here, ...(page.previous === undefined ? {} : { previous: page.previous }) };
      if (pages >= maxPages) return { refs, pages, error: `more than ${maxPages} pages` };
      page = await store.search({ ...query, cursor: page.next });
    }
  } catch (err) {
    return { refs, pages, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/**
 * Follows `previous` from the last page of a forward walk back to the first page; returns the refs in
 * forward order (they must equal the forward walk).
 */
export async function walkBack(store: ResourceStore, query: StoreQuery, last: Walk, maxPages = 5000): Promise<Walk> {
  const back: string[][] = [last.lastPage ?? []];
  let previous = last.previous;
  try {
    while (previous !== undefined) {
      if (back.length >= maxPages) return { refs: [], pages: back.length, error: `more than ${maxPages} pages` };
      const page = await store.search({ ...query, cursor: previous });
      back.unshift(page.items.map((v) => `${v.resourceType}/${v.id}`));
      previous = page.previous;
    }
  } catch (err) {
    return { refs: [], pages: back.length, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  return { refs: back.flat(), pages: back.length };
}

/** A sort key value: a string, a number, or null when the resource has no value. */
export type KeyValue = string | number | null;

/** What the sort key of a resource is computed from. */
export interface Sortable {
  id: string;
  lastUpdated: string;
  rows: readonly IndexValue[];
}

function rowKey(r: IndexValue, descending: boolean): KeyValue {
  switch (r.kind) {
    case 'string': return r.value;
    case 'token': return r.code;
    case 'date': return descending ? r.high : r.low;
    case 'number': case 'quantity': return r.value;
    case 'reference': return r.targetType !== null && r.targetId !== null ? `${r.targetType}/${r.targetId}` : r.url;
    case 'uri': return r.value;
  }
}

/** Code-point order of two strings (SQLite's BINARY collation on UTF-8). */
export function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function compareValues(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  return compareText(String(a), String(b));
}

/** The resource's value for one sort key: lowest for ascending, highest for descending; null when none. */
export function sortValue(key: SortKey, r: Sortable): KeyValue {
  if (key.param.code === '_id') return r.id;
  if (key.param.code === '_lastUpdated') return r.lastUpdated;
  let best: string | number | null = null;
  for (const row of r.rows) {
    if (row.param !== key.param.code || row.group !== undefined) continue;
    const v = rowKey(row, key.descending);
    if (v === null) continue;
    if (best === null || (key.descending ? compareValues(v, best) > 0 : compareValues(v, best) < 0)) best = v;
  }
  return best;
}

/** Negative when `a` must come before `b` under `keys`, positive when after, 0 when the keys tie. */
export function compareByKeys(keys: readonly SortKey[], a: readonly KeyValue[], b: readonly KeyValue[]): number {
  for (let i = 0; i < keys.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null && y === null) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = compareValues(x, y);
    if (c !== 0) return keys[i]!.descending ? -c : c;
  }
  return 0;
}

/** The first position where `ordered` breaks the sort keys, with both neighbours' key values. */
export function firstOrderViolation(keys: readonly SortKey[], ordered: readonly string[], keyOf: (ref: string) => KeyValue[]): string | undefined {
  for (let i = 1; i < ordered.length; i++) {
    const a = keyOf(ordered[i - 1]!);
    const b = keyOf(ordered[i]!);
    if (compareByKeys(keys, a, b) > 0) {
      return `${ordered[i - 1]} ${JSON.stringify(a)} is returned before ${ordered[i]} ${JSON.stringify(b)} (position ${i - 1})`;
    }
  }
  return undefined;
}
