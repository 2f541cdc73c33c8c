import Database from 'better-sqlite3';

/**
 * Memory settings per connection: a page cache of `cacheMiB` keeps hot B-tree pages in the process (the default
 * 2 MiB thrashes once the database grows; SQLite only allocates what it uses), temp B-trees stay in memory.
 * With `mmap`, reads of the first GiB go through a memory map instead of a syscall per page; those pages live in
 * the OS page cache, not in the connection's cache, so a connection that should keep its pages (read workers)
 * goes without.
 */
export function tuneConnection(db: Database.Database, cacheMiB: number, mmap = true): void {
  db.pragma(`cache_size = -${Math.max(2, Math.floor(cacheMiB)) * 1024}`);
  db.pragma(`mmap_size = ${mmap ? 1073741824 : 0}`);
  db.pragma('temp_store = MEMORY');
}

/** A read-only connection to an existing database (the schema is the write connection's business). */
export function openReader(file: string, cacheMiB: number, busyTimeoutMs: number, mmap = true): Database.Database {
  const r = new Database(file, { readonly: true });
  r.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  tuneConnection(r, cacheMiB, mmap);
  return r;
}
