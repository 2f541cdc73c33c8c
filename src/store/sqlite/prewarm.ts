import fs from 'node:fs';
import type Database from 'better-sqlite3';

/** What a prewarm loaded. */
export interface PrewarmReport {
  /** Bytes read into the cache (as measured by the OS; an estimate when unavailable). */
  bytes: number;
  btrees: number;
  ms: number;
}

/** Bytes this thread has read through syscalls (Linux; per thread, so workers warming side by side do not count each other's), or undefined elsewhere. */
function bytesRead(): number | undefined {
  try {
    const m = /^rchar: (\d+)$/m.exec(fs.readFileSync('/proc/thread-self/io', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Loads the database's B-trees into the connection's page cache (which must not be memory-mapped), most useful
 * first, until `budgetBytes` (the cache size) has been read: every index, then the resource table, the version
 * table (the JSON), and the index tables last. Without it a fresh server reads each page from disk on first
 * use while a search waits; with it, searches start at their steady-state speed (the idea of PostgreSQL's
 * pg_prewarm). Each B-tree is read by one full scan that SQLite cannot shortcut (a sum over a covering index,
 * or over the rowids of a table), run to completion, so no read snapshot stays open.
 */
export function prewarm(db: Database.Database, budgetBytes: number): PrewarmReport {
  const start = performance.now();
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const fileBytes = (db.pragma('page_count', { simple: true }) as number) * pageSize;
  const objects = db.prepare("SELECT name, type, tbl_name FROM sqlite_schema WHERE rootpage > 0 AND type IN ('index', 'table')")
    .all() as { name: string; type: 'index' | 'table'; tbl_name: string }[];
  // The index tables come last: their covering indexes answer searches (schema.ts), so only writes, `:exact`
  // and quantity searches read them.
  const rank = (o: { name: string; type: string }): number =>
    o.type === 'index' ? 0 : o.name === 'resources' ? 1 : o.name === 'versions' ? 3 : o.name.startsWith('idx_') ? 4 : 2;
  objects.sort((a, b) => rank(a) - rank(b));
  // Without a way to measure, only a database that fits is read whole; a larger one gets its indexes.
  const measured = bytesRead() !== undefined;
  let bytes = 0;
  let btrees = 0;
  for (const o of objects) {
    if (bytes >= budgetBytes) break;
    if (!measured && fileBytes > budgetBytes && o.type !== 'index') break;
    let sql: string;
    if (o.type === 'table') {
      sql = `SELECT sum(rowid IS NULL) FROM ${quote(o.name)} NOT INDEXED`;
    } else {
      const first = (db.pragma(`index_info(${quote(o.name)})`) as { name: string | null }[])[0]?.name;
      if (!first) continue; // an expression index: nothing to name in a scan
      sql = `SELECT sum(${quote(first)} IS NULL) FROM ${quote(o.tbl_name)} INDEXED BY ${quote(o.name)}`;
    }
    const before = bytesRead();
    try {
      db.prepare(sql).get();
    } catch {
      continue; // e.g. a table without rowid; warming is only an optimization
    }
    const after = bytesRead();
    bytes += before !== undefined && after !== undefined ? after - before : 0;
    btrees++;
  }
  if (!measured) bytes = Math.min(fileBytes, budgetBytes);
  return { bytes, btrees, ms: performance.now() - start };
}
