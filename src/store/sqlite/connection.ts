import Database from 'better-sqlite3';

/**
 * Memory settings per connection: a page cache of `cacheMiB` keeps hot B-tree pages in the process (the default
 * 2 MiB thrashes once the database grows; SQLite only allocates what it uses), memory-mapped reads avoid a syscall
 * per page, temp B-trees stay in memory.
 */
export function tuneConnection(db: Database.Database, cacheMiB: number): void {
  db.pragma(`cache_size = -${Math.max(2, Math.floor(cacheMiB)) * 1024}`);
  db.pragma('mmap_size = 1073741824');
  db.pragma('temp_store = MEMORY');
}

/** A read-only connection to an existing database (the schema is the write connection's business). */
export function openReader(file: string, cacheMiB: number, busyTimeoutMs: number): Database.Database {
  const r = new Database(file, { readonly: true });
  r.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  tuneConnection(r, cacheMiB);
  return r;
}
