/**
 * History pages on the MongoDB store (FHIR R4 http.html#history): versions newest first, ordered by lastUpdated and
 * then by the write sequence `hs`, with keyset cursors (lastUpdated, hs) in both directions, from the one insert-only
 * history collection.
 */
import type { Collection, Document, Filter } from 'mongodb';
import { badRequest } from '../../fhir/outcome.js';
import type { HistoryScope, Page, PageRequest, StoredVersion } from '../../vocabulary/versions.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { fromHistory, type HistoryDoc } from './documents.js';

/** Tells whether a pending history version (its write still in flight, or its writer dead) is visible yet. */
export type PendingCheck = (doc: HistoryDoc) => Promise<boolean>;

/** Committed versions only: a pending version is hidden until its current document has reached it. */
export const COMMITTED: Filter<HistoryDoc> = { next: { $exists: false } };

/** One page of history for an instance, a type or the system, with `_since` and `_at` (port.ts). */
export async function historyPage(
  history: Collection<HistoryDoc>, visible: PendingCheck, scope: HistoryScope, page: PageRequest,
  /** Pick the version current at `_at` in process (servers without `$group`/`$first`, FerretDB 1.x). */
  atInProcess = false,
): Promise<Page<StoredVersion>> {
  const base: Filter<HistoryDoc> = {};
  if (scope.id !== undefined) {
    if (scope.resourceType === undefined) throw badRequest('Instance history needs a resource type.');
    base.type = { $eq: scope.resourceType };
    base.id = { $eq: scope.id };
  } else if (scope.resourceType !== undefined) base.type = { $eq: scope.resourceType };
  if (scope.since !== undefined) base.lu = { $gte: instant(scope.since, '_since') };
  const at = scope.at === undefined ? undefined : instant(scope.at, '_at');
  const total = scope.id !== undefined && at === undefined ? await committedCount(history, visible, base) : undefined;
  const count = Math.max(0, Math.floor(page.count));
  if (count === 0) return total === undefined ? { items: [] } : { items: [], total };

  const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor, 2);
  const backward = cursor?.direction === 'previous';
  const pipeline: Document[] = [];
  if (at === undefined) pipeline.push({ $match: base });
  else {
    // The version current at `at` is the newest one written at or before it, per resource.
    const lu = base.lu === undefined ? { $lte: at } : { $gte: (base.lu as { $gte: string }).$gte, $lte: at };
    pipeline.push(
      { $match: { ...base, lu, ...COMMITTED } },
      { $sort: { type: 1, id: 1, lu: -1, hs: -1 } },
      { $group: { _id: { t: '$type', i: '$id' }, d: { $first: '$$ROOT' } } },
      { $replaceRoot: { newRoot: '$d' } },
    );
  }
  if (cursor !== undefined) {
    const [lu, hs] = cursor.keys;
    if (typeof lu !== 'string' || typeof hs !== 'number') throw badRequest('The paging cursor is invalid.');
    const op = backward ? '$gt' : '$lt';
    pipeline.push({ $match: { $or: [{ lu: { [op]: lu } }, { lu: { $eq: lu }, hs: { [op]: hs } }] } });
  }
  const dir = backward ? 1 : -1;
  pipeline.push({ $sort: { lu: dir, hs: dir } }, { $limit: count + 1 });
  const rows = at !== undefined && atInProcess
    ? await currentAt(history, visible, { ...base, lu: pipeline[0]!['$match'].lu }, cursor?.keys, backward, count + 1)
    : (await history.aggregate(pipeline).toArray()) as HistoryDoc[];
  const more = rows.length > count;
  const raw = rows.slice(0, count);
  if (backward) raw.reverse();
  const shown: HistoryDoc[] = [];
  for (const d of raw) if (d.next === undefined || (await visible(d))) shown.push(d);
  const result: Page<StoredVersion> = { items: shown.map(fromHistory) };
  // Cursors come from the rows read, hidden ones included, so a hidden version never shifts a page boundary.
  const first = raw[0];
  const last = raw[raw.length - 1];
  const hasNext = backward ? cursor !== undefined : more;
  const hasPrevious = backward ? more : cursor !== undefined;
  if (hasNext && last !== undefined) result.next = encodeCursor({ direction: 'next', keys: [last.lu, last.hs] });
  if (hasPrevious && first !== undefined) result.previous = encodeCursor({ direction: 'previous', keys: [first.lu, first.hs] });
  if (total !== undefined) result.total = total;
  return result;
}

/** `_at` in process: the newest version per resource among `filter`, then the keyset page (newest first). */
async function currentAt(
  history: Collection<HistoryDoc>, visible: PendingCheck, filter: Filter<HistoryDoc>, keys: unknown[] | undefined, backward: boolean, limit: number,
): Promise<HistoryDoc[]> {
  const newest = new Map<string, HistoryDoc>();
  const later = (a: HistoryDoc, b: HistoryDoc): boolean => a.lu > b.lu || (a.lu === b.lu && a.hs > b.hs);
  for await (const d of history.find(filter)) {
    // Pending versions count once their current document has reached them (FerretDB keeps every version pending).
    if (d.next !== undefined && !(await visible(d))) continue;
    const k = `${d.type}/${d.id}`;
    const seen = newest.get(k);
    if (seen === undefined || later(d, seen)) newest.set(k, d);
  }
  let list = [...newest.values()].sort((a, b) => (later(a, b) ? -1 : later(b, a) ? 1 : 0));
  if (keys !== undefined) {
    const [lu, hs] = keys as [string, number];
    const pivot = { lu, hs } as HistoryDoc;
    list = list.filter((d) => (backward ? later(d, pivot) : later(pivot, d)));
    if (backward) list.reverse();
  }
  return list.slice(0, limit);
}

/**
 * How many versions match `base` and are committed: those whose step 3 is done, plus the pending ones whose current
 * document has reached them (every version on FerretDB, which skips step 3).
 */
async function committedCount(history: Collection<HistoryDoc>, visible: PendingCheck, base: Filter<HistoryDoc>): Promise<number> {
  let n = await history.countDocuments({ ...base, ...COMMITTED });
  const pending = history.find({ ...base, next: { $exists: true } }, { projection: { _id: 1, type: 1, id: 1, v: 1 } });
  for await (const d of pending) if (await visible(d as HistoryDoc)) n++;
  return n;
}

/** Normalizes an instant to the stored form (ms and `Z`), so text comparison is chronological. */
function instant(value: string, name: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${name} must be an instant.`, [name]);
  return new Date(ms).toISOString();
}
