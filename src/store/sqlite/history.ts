import { badRequest } from '../../fhir/outcome.js';
import type { HistoryScope, Page, PageRequest, StoredVersion } from '../port.js';
import { limitClause } from './binder.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { toVersion, type VersionRow } from './rows.js';
import type { StatementCache } from './statement-cache.js';

interface HistoryRow extends VersionRow {
  vseq: number;
}

/**
 * One page of versions, newest first (ordered by lastUpdated, then write sequence), for an instance, a type
 * or the whole system, with `_since` and `_at` as defined in port.ts (FHIR R4 http.html#history).
 * Paging is keyset-based on (lastUpdated, sequence), so it is stable while new versions are written;
 * `total` is given for instance history only, where counting is cheap.
 */
export function historyPage(cache: StatementCache, scope: HistoryScope, page: PageRequest): Page<StoredVersion> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (scope.id !== undefined) {
    if (scope.resourceType === undefined) throw badRequest('Instance history needs a resource type.');
    where.push('v.rid = (SELECT rid FROM resources WHERE type = ? AND id = ?)');
    params.push(scope.resourceType, scope.id);
  } else if (scope.resourceType !== undefined) {
    where.push('v.type = ?');
    params.push(scope.resourceType);
  }
  if (scope.since !== undefined) {
    where.push('v.last_updated >= ?');
    params.push(instant(scope.since, '_since'));
  }
  if (scope.at !== undefined) {
    const at = instant(scope.at, '_at');
    // The version current at `at` is the newest one written at or before it.
    where.push(
      'v.last_updated <= ? AND v.vseq = (SELECT v2.vseq FROM versions v2 WHERE v2.rid = v.rid AND v2.last_updated <= ? ' +
        'ORDER BY v2.last_updated DESC, v2.vseq DESC LIMIT 1)',
    );
    params.push(at, at);
  }
  const total = scope.id !== undefined ? countOf(cache, where, params) : undefined;
  const count = Math.max(0, Math.floor(page.count));
  if (count === 0) return total === undefined ? { items: [] } : { items: [], total };

  const cursor = page.cursor === undefined ? undefined : decodeCursor(page.cursor, 2);
  const backward = cursor?.direction === 'previous';
  const pageWhere = [...where];
  const pageParams = [...params];
  if (cursor !== undefined) {
    const [lu, seq] = cursor.keys;
    if (typeof lu !== 'string' || typeof seq !== 'number') throw badRequest('The paging cursor is invalid.');
    const op = backward ? '>' : '<';
    pageWhere.push(`(v.last_updated ${op} ? OR (v.last_updated = ? AND v.vseq ${op} ?))`);
    pageParams.push(lu, lu, seq);
  }
  const dir = backward ? 'ASC' : 'DESC';
  const sql =
    'SELECT v.vseq, v.type, v.id, v.version_id, v.last_updated, v.deleted, v.method, v.json FROM versions v' +
    (pageWhere.length > 0 ? ` WHERE ${pageWhere.join(' AND ')}` : '') +
    ` ORDER BY v.last_updated ${dir}, v.vseq ${dir} ${limitClause('?')}`;
  const rows = cache.get(sql).all(...pageParams, count + 1) as HistoryRow[];
  const more = rows.length > count;
  const items = rows.slice(0, count);
  if (backward) items.reverse();
  const result: Page<StoredVersion> = { items: items.map(toVersion) };
  const first = items[0];
  const last = items[items.length - 1];
  const hasNext = backward ? cursor !== undefined : more;
  const hasPrevious = backward ? more : cursor !== undefined;
  if (hasNext && last !== undefined) result.next = encodeCursor({ direction: 'next', keys: [last.last_updated, last.vseq] });
  if (hasPrevious && first !== undefined) {
    result.previous = encodeCursor({ direction: 'previous', keys: [first.last_updated, first.vseq] });
  }
  if (total !== undefined) result.total = total;
  return result;
}

function countOf(cache: StatementCache, where: string[], params: (string | number)[]): number {
  const sql = `SELECT COUNT(*) AS n FROM versions v${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
  return (cache.get(sql).get(...params) as { n: number }).n;
}

/** Normalizes an instant to the stored form (ms and `Z`), so text comparison is chronological. */
function instant(value: string, name: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${name} must be an instant.`, [name]);
  return new Date(ms).toISOString();
}
