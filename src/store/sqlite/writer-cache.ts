import type Database from 'better-sqlite3';

/** Page cache of the write connection once the database is past the pending-byte page (index pages touched by inserts). */
const LARGE_MIB = 128;
/** Page cache of the write connection while the database is smaller than that. */
const SMALL_MIB = 16;
/** SQLite's pending-byte offset: the page holding it is never used for data. */
const PENDING_BYTE = 0x40000000;
/**
 * Page cache of the write connection during a large write (sqlite-store.ts `writeInSteps`): SQLite writes dirty
 * pages past the cache to the WAL as the write goes (in its steps), so its COMMIT, which cannot be split, writes
 * no more than this.
 */
const LARGE_WRITE_MIB = 4;
/** How often (in commits) a small-cache writer checks whether the database has grown past it. */
const CHECK_EVERY = 256;

/**
 * Sizes the write connection's page cache around an SQLite behaviour. When a B-tree split reorders its new
 * pages, SQLite parks one under the number of the pending-byte page (at 1 GiB); in a database smaller than
 * that, the page lies past the end of the file, and the next COMMIT drops cached pages past the end by
 * walking the whole page cache (`pcache1TruncateUnsafe`), one cache miss per cached page. With a 128 MiB
 * cache that walk was 6% of the main thread's time while creating resources in a small database. So the
 * writer keeps a small cache until the file passes 1 GiB (the walk no longer happens: the parked page number
 * is inside the file), then the large one, which holds more of the index pages inserts touch.
 */
export class WriterCache {
  private small: boolean;
  private commits = 0;

  constructor(private readonly db: Database.Database) {
    this.small = !this.pastPendingByte();
    this.apply();
  }

  /** The cache size in MiB the writer uses now. */
  get mib(): number {
    return this.small ? SMALL_MIB : LARGE_MIB;
  }

  /** Called after each commit; switches to the large cache once the database has grown past 1 GiB. */
  committed(): void {
    if (!this.small || ++this.commits % CHECK_EVERY !== 0) return;
    if (this.pastPendingByte()) {
      this.small = false;
      this.apply();
    }
  }

  /** Shrinks the cache for a large write until `restore` (see LARGE_WRITE_MIB). */
  limitForLargeWrite(): void {
    this.db.pragma(`cache_size = -${LARGE_WRITE_MIB * 1024}`);
  }

  /** The cache size the writer uses again after a large write. */
  restore(): void {
    this.apply();
  }

  private pastPendingByte(): boolean {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return pages * size > PENDING_BYTE + size;
  }

  private apply(): void {
    this.db.pragma(`cache_size = -${this.mib * 1024}`);
  }
}
