/**
 * Search pages computed in process (doc-match.ts) over the live documents of the searched types that pass a sound
 * superset of the query (loose-filter.ts): the fallback for servers that cannot run the compiled filters and sort
 * aggregations (FerretDB 1.x). Same results, order and cursors as search-page.ts, at the cost of reading every
 * candidate per page (every live document of the type when the query cannot be narrowed: a negation, a range...).
 */
import type { StoreQuery } from '../../vocabulary/plan.js';
import type { Page, StoredVersion } from '../../vocabulary/versions.js';
import { badRequest } from '../../fhir/outcome.js';
import { decodeCursor, encodeCursor, type KeyValue } from '../cursor.js';
import { fromCurrent, type CurrentDoc } from './documents.js';
import { compareKeys, matchDoc, resolveStages, sortValue, type DocSource } from './doc-match.js';
import { looseFilter } from './loose-filter.js';

const MAX_PAGE = 1000;

interface Hit {
  type: string;
  doc: CurrentDoc;
  keys: KeyValue[];
}

/** One page of current, non-deleted resources matching `query`, evaluated in process. */
export async function scanPage(
  types: string[], docs: DocSource, allTypes: () => Promise<string[]>, query: StoreQuery,
): Promise<Page<StoredVersion>> {
  const count = Math.min(MAX_PAGE, Math.max(0, Math.floor(query.count)));
  const sort = query.sort;
  const hits: Hit[] = [];
  for (const type of types) {
    const resolved = await resolveStages(query.where, type, docs, allTypes);
    for (const d of await docs(type, looseFilter(query.where, resolved))) {
      if (query.where !== undefined && !matchDoc(query.where, d, resolved)) continue;
      hits.push({ type, doc: d, keys: [...sort.map((k) => sortValue(k, d)), d.seq] });
    }
  }
  const result: Page<StoredVersion> = { items: [] };
  if (query.total !== 'none') result.total = hits.length;
  if (count === 0) return result;
  // Forward order: each key (no value last), then seq.
  const forward = (a: KeyValue[], b: KeyValue[]): number => {
    for (let i = 0; i < sort.length; i++) {
      const x = a[i] ?? null;
      const y = b[i] ?? null;
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
        continue;
      }
      const c = compareKeys(x, y);
      if (c !== 0) return sort[i]!.descending ? -c : c;
    }
    return (a[sort.length] as number) - (b[sort.length] as number);
  };
  hits.sort((a, b) => forward(a.keys, b.keys));
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort.length + 1);
  if (cursor !== undefined && typeof cursor.keys[sort.length] !== 'number') throw badRequest('The paging cursor is invalid.');
  let page: Hit[];
  let more: boolean;
  if (cursor === undefined) {
    page = hits.slice(0, count);
    more = hits.length > count;
  } else if (cursor.direction === 'next') {
    const after = hits.filter((h) => forward(h.keys, cursor.keys) > 0);
    page = after.slice(0, count);
    more = after.length > count;
  } else {
    const before = hits.filter((h) => forward(h.keys, cursor.keys) < 0);
    page = before.slice(Math.max(0, before.length - count));
    more = before.length > count;
  }
  result.items = page.map((h) => fromCurrent(h.type, h.doc));
  const backward = cursor?.direction === 'previous';
  const hasNext = backward ? cursor !== undefined : more;
  const hasPrevious = backward ? more : cursor !== undefined;
  const first = page[0];
  const last = page[page.length - 1];
  if (hasNext && last !== undefined) result.next = encodeCursor({ direction: 'next', keys: last.keys });
  if (hasPrevious && first !== undefined) result.previous = encodeCursor({ direction: 'previous', keys: first.keys });
  return result;
}
