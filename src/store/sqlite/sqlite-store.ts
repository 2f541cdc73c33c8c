import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  HistoryScope, IndexMaintenance, Page, PageRequest, ResourceStore, StoreCapabilities, StoredVersion, VersionWrite,
} from '../port.js';
import { VersionConflict } from '../port.js';
import type { StoreQuery } from '../../vocabulary/plan.js';
import { Checkpointer } from './checkpointer.js';
import { Mutex } from '../mutex.js';
import { Pacer, yieldToLoop } from '../../fhir/pacer.js';
import { SqliteAuthState } from './sqlite-auth-state.js';
import type { SqliteWriteRunner } from './sqlite-auth-state.js';
import type { AuthStateStore } from '../auth-state.js';
import type { AuditEntry, AuditTrail } from '../audit-trail.js';
import { prepareAuditWriter } from './audit-writer.js';
import { SqliteAuditTrail } from './sqlite-audit-trail.js';
import { openReader, tuneConnection } from './connection.js';
import { ReadPool } from './read-pool.js';
import { isStorageFull, mapWriteError } from './storage-full.js';
import { migrate } from './schema.js';
import { SqliteSession } from './sqlite-session.js';
import { WalSync } from './wal-sync.js';
import { WriterCache } from './writer-cache.js';

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Directory of the database file; created (with parents) when missing. */
  dataDir: string;
  /** Database file name inside dataDir; `vesta.sqlite` by default. */
  fileName?: string;
  /** FULL (default) fsyncs every commit, so an acknowledged write survives power loss; NORMAL may lose the last ones. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Page cache of the read connection in MiB (default 512; SQLite allocates it only as pages are used). */
  readCacheMiB?: number;
  /** How long a connection waits for a lock held by another process before failing, in ms (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Worker threads that run searches and history pages, each on its own read connection (read-pool.ts);
   * 0 runs them on the main thread's read connection. Default 0 here; the server sets it from its config.
   */
  readWorkers?: number;
  /** Time budget of one search or history page in a read worker (ms); none when absent. */
  readTimeoutMs?: number;
  /** Read workers load the database into their caches (up to readCacheMiB each) before answering (prewarm.ts). */
  prewarm?: boolean;
  /** WAL checkpoints on a worker thread, off the event loop (checkpointer.ts). Default off here; the server turns it on. */
  checkpointWorker?: boolean;
  /**
   * The size the WAL is kept to, in MiB (default 64): `journal_size_limit`, so a restarted WAL file shrinks back to
   * it, and with the checkpoint worker a commit that takes the WAL past it holds the next writes until the WAL has
   * been copied back and restarted (checkpointer.ts), and an idle WAL is truncated.
   */
  walLimitMiB?: number;
  /** Largest database file in MiB (`max_page_count`, a quota): writes past it fail as on a full disk (507). */
  maxMiB?: number;
}

/** Everything the search plan can say compiles to SQL; chains stop where SQLite's expression depth would. */
const CAPABILITIES: StoreCapabilities = Object.freeze({
  name: 'sqlite', transactions: true, maxChainDepth: 4, reverseChains: true, composite: true, accurateTotals: true,
  sortTypes: Object.freeze(['string', 'token', 'date', 'number', 'quantity', 'uri', 'reference'] as const),
});

/** Default page cache of the read connection, which serves every read and search. */
const DEFAULT_READ_CACHE_MIB = 512;

/** Default of `walLimitMiB`: well above the writer's automatic checkpoint (8,000 pages of 4 KiB), so only bursts reach it. */
const DEFAULT_WAL_LIMIT_MIB = 64;

/** The writer's own automatic checkpoint, in WAL pages (each is a full-file sync under synchronous=FULL). */
const AUTO_CHECKPOINT_PAGES = 8000;
/**
 * The checkpoint worker copies pages back once this many wait: half way to the writer's own checkpoint. At 1,000 it
 * copied hot pages again and again (ingest throughput -2%).
 */
const WORKER_CHECKPOINT_PAGES = 4000;
/**
 * The writer has the worker restart the WAL once it holds this many pages (checkpointer.ts): past the worker's copy,
 * before the writer's own automatic checkpoint would copy the rest on the main thread.
 */
const RESTART_PAGES = 6000;

/** Most writes committed together; bounds how long one group holds the write lock. */
const MAX_GROUP = 256;

/** A write with more index rows than this is done in steps (`writeInSteps`), not in a group commit. */
const LARGE_WRITE_ROWS = 4096;
/** Likewise a write of a version whose JSON (or that of the version it replaces) is longer than this. */
const LARGE_WRITE_CHARS = 1 << 20;

/** True for a write that would hold the event loop too long in one go (issue 10 item 6). */
const isLargeWrite = (w: VersionWrite): boolean =>
  w.index.length > LARGE_WRITE_ROWS || w.version.json.length > LARGE_WRITE_CHARS || (w.replacedSize ?? 0) > LARGE_WRITE_CHARS;

/** A write or an audit append waiting for the next group commit. */
type PendingWrite = (
  | { kind: 'write'; w: VersionWrite; expected: string | null }
  | { kind: 'audit'; entries: readonly AuditEntry[] }
) & { resolve: () => void; reject: (err: unknown) => void };

/**
 * The embedded ResourceStore on one SQLite file in WAL mode. All writes go through one write connection
 * serialized by an async mutex (a transaction holds it from BEGIN IMMEDIATE to COMMIT/ROLLBACK); every read
 * outside a transaction runs on a separate read-only connection, so it sees only committed data.
 */
export class SqliteStore implements ResourceStore, IndexMaintenance {
  /** What the SQLite store carries: the whole search plan and atomic transactions. */
  static readonly CAPABILITIES = CAPABILITIES;
  readonly capabilities = CAPABILITIES;
  private readonly mutex = new Mutex();
  private closed = false;
  private readonly pending: PendingWrite[] = [];
  private readonly writerCache: WriterCache;
  private auth: SqliteAuthState | undefined;
  private trail: SqliteAuditTrail | undefined;
  private auditWriter: ((entries: readonly AuditEntry[]) => void) | undefined;
  /** Commits made, and the number of them known to be on stable storage (for `sync`). */
  private commits = 0;
  private syncedCommits = 0;

  private constructor(
    private readonly writer: SqliteSession,
    private readonly reader: SqliteSession,
    private readonly walSync: WalSync | undefined,
    private readonly pool: ReadPool | undefined,
    private readonly checkpointer: Checkpointer | undefined,
  ) {
    this.writerCache = new WriterCache(writer.db);
  }

  /** Resolves when the read workers are open and, when asked, warm; with the bytes warmed in all. */
  async ready(): Promise<{ bytes: number; ms: number }> {
    return this.pool ? this.pool.ready() : { bytes: 0, ms: 0 };
  }

  /** Durability point: with FULL, the WAL is fsynced (off the event loop); with NORMAL, nothing to wait for. */
  private durable(): Promise<void> {
    return this.walSync ? this.walSync.sync() : Promise.resolve();
  }

  /** Opens (creating when needed) `<dataDir>/vesta.sqlite`, applies the schema and the durability pragmas. */
  static open(opts: SqliteStoreOptions): SqliteStore {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    const file = path.join(opts.dataDir, opts.fileName ?? 'vesta.sqlite');
    const busy = opts.busyTimeoutMs ?? 5000;
    const walLimitBytes = Math.floor((opts.walLimitMiB ?? DEFAULT_WAL_LIMIT_MIB) * 1048576);
    const w = new Database(file);
    try {
      w.pragma(`busy_timeout = ${Math.max(0, Math.floor(busy))}`);
      w.pragma('journal_mode = WAL');
      // FULL durability is kept by WalSync (fsync off the main thread before acknowledging), so SQLite itself
      // runs NORMAL: same crash consistency, no fsync inside COMMIT on the event loop.
      w.pragma('synchronous = NORMAL');
      w.pragma('foreign_keys = OFF');
      tuneConnection(w, 2); // WriterCache sizes the page cache
      // Checkpoint less often: each checkpoint is a full-file sync under synchronous=FULL (the WAL stays bounded).
      w.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      // A WAL that grew during a burst is cut back to this size when it restarts, instead of keeping its peak size.
      w.pragma(`journal_size_limit = ${walLimitBytes}`);
      migrate(w);
      if (opts.maxMiB !== undefined) {
        const pageSize = Number(w.pragma('page_size', { simple: true }));
        w.pragma(`max_page_count = ${Math.max(1, Math.floor((opts.maxMiB * 1048576) / pageSize))}`);
      }
    } catch (err) {
      w.close();
      throw err;
    }
    const cacheMiB = opts.readCacheMiB ?? DEFAULT_READ_CACHE_MIB;
    const r = openReader(file, cacheMiB, busy);
    const walSync = opts.synchronous === 'NORMAL' ? undefined : new WalSync(`${file}-wal`);
    const workers = Math.max(0, Math.floor(opts.readWorkers ?? 0));
    const pool = workers > 0 ? new ReadPool({ file, cacheMiB, busyTimeoutMs: busy, prewarm: opts.prewarm ?? false }, workers, opts.readTimeoutMs) : undefined;
    const checkpointer = opts.checkpointWorker
      ? new Checkpointer({
        file, thresholdFrames: WORKER_CHECKPOINT_PAGES, intervalMs: 20, idleMs: 1000, walLimitBytes, restartFrames: RESTART_PAGES, writer: w,
      })
      : undefined;
    return new SqliteStore(new SqliteSession(w), new SqliteSession(r), walSync, pool, checkpointer);
  }

  /**
   * Committed once resolved (durable after `sync()`); rejects with VersionConflict (changing nothing) when
   * `expectedVersion` is not current. Group commit: writes arriving while a commit is in flight are committed together
   * in one transaction, each inside its own savepoint so one conflict does not undo the others, and share one fsync
   * when their requests sync. With synchronous=FULL a sync costs a disk flush (a few ms here), so this is what makes
   * concurrent writes scale.
   */
  write(w: VersionWrite, expectedVersion: string | null): Promise<void> {
    if (isLargeWrite(w)) return this.writeTurn(() => this.writeInSteps(w, expectedVersion));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ kind: 'write', w, expected: expectedVersion, resolve, reject });
      if (this.pending.length === 1) this.scheduleFlush();
    });
  }

  /**
   * A large write in a transaction of its own, done in steps with yields to the event loop in between
   * (sqlite-session.ts `writeInSteps`), its COMMIT a step too, kept short by a small page cache meanwhile
   * (writer-cache.ts). It holds the write lock throughout, so other writes wait as they would for a group commit;
   * readers see it only once committed.
   */
  private async writeInSteps(w: VersionWrite, expectedVersion: string | null): Promise<void> {
    this.assertOpen();
    const db = this.writer.db;
    this.writerCache.limitForLargeWrite();
    // With the checkpoint thread running, the COMMIT leaves the copying of its pages to it: the writer's own
    // automatic checkpoint would copy them all inside the COMMIT, on the event loop.
    if (this.checkpointer) this.pauseAutoCheckpoint();
    db.exec('BEGIN IMMEDIATE');
    try {
      await this.writer.writeInSteps(w, expectedVersion, new Pacer());
      await yieldToLoop();
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      this.noteFull(err);
      throw mapWriteError(err);
    } finally {
      this.writerCache.restore();
      if (this.checkpointer) this.resumeAutoCheckpointLater();
    }
    this.commits++;
    this.writerCache.committed();
    this.checkpointer?.committed();
  }

  private autoCheckpointTimer: NodeJS.Timeout | undefined;

  private pauseAutoCheckpoint(): void {
    clearTimeout(this.autoCheckpointTimer);
    this.autoCheckpointTimer = undefined;
    this.writer.db.pragma('wal_autocheckpoint = 0');
  }

  /**
   * Turns the writer's automatic checkpoint back on once the checkpoint thread has had time to copy what a large write
   * left in the WAL (a second, plus one per 100 MB of WAL); whatever it has not copied by then, the writer's next
   * checkpoint copies, as without the pause.
   */
  private resumeAutoCheckpointLater(): void {
    let walBytes = 0;
    try {
      walBytes = fs.statSync(`${this.writer.db.name}-wal`).size;
    } catch {
      // no WAL file: nothing waits to be copied
    }
    this.autoCheckpointTimer = setTimeout(() => {
      this.autoCheckpointTimer = undefined;
      if (!this.closed) this.writer.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    }, 1000 + Math.ceil(walBytes / 100_000));
    this.autoCheckpointTimer.unref();
  }

  /** Queues audit records for the next group commit (the audit trail's appends); resolves once committed. */
  private appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ kind: 'audit', entries, resolve, reject });
      if (this.pending.length === 1) this.scheduleFlush();
    });
  }

  /** Replaces index rows of versions that are still current, in small committed batches (reindexing). */
  replaceIndexes(entries: readonly VersionWrite[]): Promise<number> {
    return this.writeTurn(() => {
      this.assertOpen();
      const db = this.writer.db;
      let n = 0;
      db.transaction(() => {
        for (const e of entries) if (this.writer.replaceIndex(e)) n++;
      }).immediate();
      this.checkpointer?.committed();
      return n;
    });
  }

  /**
   * Runs `work` with the write connection to itself (the mutex), once the WAL has room: while the checkpoint thread
   * restarts a WAL that the last commit took past its limit (Checkpointer.room), writes wait here, and the event loop
   * goes on. Whoever commits in `work` calls Checkpointer.committed after it.
   */
  private writeTurn<T>(work: () => T | Promise<T>): Promise<T> {
    return this.mutex.run(() => {
      const room = this.closed ? undefined : this.checkpointer?.room();
      return room ? room.then(work) : work();
    });
  }

  /**
   * Flushes on the check phase (setImmediate), after the event loop has handled every request that was
   * ready, so those requests' writes share one commit.
   */
  private scheduleFlush(): void {
    setImmediate(() => {
      void this.writeTurn(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0, MAX_GROUP);
    if (this.pending.length > 0) this.scheduleFlush();
    if (batch.length === 0) return;
    if (this.closed) {
      for (const p of batch) p.reject(new Error('the SQLite store is closed'));
      return;
    }
    const db = this.writer.db;
    const errors: unknown[] = new Array(batch.length);
    try {
      db.exec('BEGIN IMMEDIATE');
      const audits: number[] = [];
      batch.forEach((p, i) => {
        if (p.kind === 'audit') {
          audits.push(i);
          return;
        }
        // Once SQLite has rolled the group back (a full disk), nothing more may run: it would autocommit on its own.
        if (!db.inTransaction) return;
        try {
          // Each in a savepoint inside the group transaction: one failure undoes only itself.
          this.writer.write(p.w, p.expected);
        } catch (err) {
          errors[i] = err;
        }
      });
      // The group's audit records are appended in one go (one savepoint, one read of the chain head): they succeed
      // or fail together, as they would one by one when the trail cannot record.
      if (audits.length > 0 && db.inTransaction) {
        try {
          (this.auditWriter ??= prepareAuditWriter(db))(audits.flatMap((i) => (batch[i] as { entries: readonly AuditEntry[] }).entries));
        } catch (err) {
          for (const i of audits) errors[i] = err;
        }
      }
      if (!db.inTransaction) {
        // SQLite rolled the whole group back (SQLITE_FULL and some I/O errors do): nothing of it was written.
        const cause: unknown = errors.find(isStorageFull) ?? errors.find((e) => e !== undefined) ?? new Error('the group commit was rolled back');
        this.noteFull(cause);
        for (const p of batch) p.reject(mapWriteError(cause));
        return;
      }
      db.exec('COMMIT');
      this.commits++;
      this.writerCache.committed();
      this.checkpointer?.committed();
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      this.noteFull(err);
      for (const p of batch) p.reject(mapWriteError(err));
      return;
    }
    // Committed: visible to readers and safe from a process crash. Stable storage is `sync()`'s business, so a
    // request's write and its audit record share one fsync.
    batch.forEach((p, i) => {
      if (errors[i] === undefined) return p.resolve();
      this.noteFull(errors[i]);
      p.reject(mapWriteError(errors[i]));
    });
  }

  /**
   * When a write last failed for lack of space (ms since epoch). Not cleared by a later small commit (an audit
   * record may still fit where a resource does not); it expires 30 s after the last failure.
   */
  private fullSince: number | undefined;

  private noteFull(err: unknown): void {
    if (isStorageFull(err)) this.fullSince = Date.now();
  }

  /** True while writes fail for lack of space (within 30 s of the last such failure): /readyz reports not ready. */
  storageFull(): boolean {
    if (this.fullSince === undefined) return false;
    if (Date.now() - this.fullSince > 30_000) {
      this.fullSince = undefined; // let traffic probe again; the next failed write sets it anew
      return false;
    }
    return true;
  }

  /**
   * Resolves once every commit made before the call is on stable storage (with `synchronous=FULL`: the WAL fsynced
   * off the event loop; concurrent callers share one fsync). Immediate when nothing was committed since the last.
   */
  sync(): Promise<void> | undefined {
    if (!this.walSync || this.syncedCommits === this.commits) return undefined;
    return this.flushCommits(this.walSync);
  }

  private async flushCommits(walSync: WalSync): Promise<void> {
    const target = this.commits;
    try {
      await walSync.sync();
    } catch (err) {
      this.noteFull(err);
      throw mapWriteError(err);
    }
    if (target > this.syncedCommits) this.syncedCommits = target;
  }

  /** The current version, possibly a tombstone (FHIR R4 http.html#read). */
  async read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    this.assertOpen();
    return this.reader.read(resourceType, id);
  }

  /** One version (FHIR R4 http.html#vread). */
  async vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    this.assertOpen();
    return this.reader.vread(resourceType, id, versionId);
  }

  /** Versions newest first (FHIR R4 http.html#history). */
  async history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>> {
    this.assertOpen();
    return this.pool ? this.pool.history(scope, page) : this.reader.history(scope, page);
  }

  /** Current, non-deleted matches, one page (FHIR R4 search.html). */
  async search(query: StoreQuery): Promise<Page<StoredVersion>> {
    this.assertOpen();
    return this.pool ? this.pool.search(query) : this.reader.search(query);
  }

  /**
   * Runs `work` in one SQLite transaction: commits when it resolves, rolls back and rethrows when it rejects.
   * Other callers wait for the mutex to write and read committed data from the read connection meanwhile.
   * `work` must use `tx`, not this store, for writes (writing through this store would wait for itself).
   */
  async transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    const result = await this.writeTurn(async () => {
      this.assertOpen();
      const db = this.writer.db;
      db.exec('BEGIN IMMEDIATE');
      const tx = new SqliteTransaction(this.writer);
      // A transaction that wrote much (a large Bundle) leaves the copying of its pages to the checkpoint thread, as a
      // large write does (writeInSteps).
      let paused = false;
      try {
        const result = await work(tx);
        if (tx.failure) throw tx.failure.err;
        if (tx.large && this.checkpointer) {
          this.pauseAutoCheckpoint();
          paused = true;
        }
        db.exec('COMMIT');
        this.commits++;
        this.writerCache.committed();
        this.checkpointer?.committed();
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        this.noteFull(err);
        throw mapWriteError(err);
      } finally {
        tx.end();
        if (paused) this.resumeAutoCheckpointLater();
      }
    });
    return result;
  }

  /**
   * SQLite has one writer: a transaction holds the write lock (BEGIN IMMEDIATE, across processes too) from the
   * check to the write, so every serialized section is serialized against every other writer, whatever its key.
   */
  serialized<T>(_key: string, work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  /** The authorization state (store/auth-state.ts) in this database's `auth_state` table; one view per store. */
  authState(): AuthStateStore {
    this.auth ??= new SqliteAuthState(this.reader.db, this.durableWrite);
    return this.auth;
  }

  /** The audit trail (store/audit-trail.ts) in this database; its appends join the group commit. */
  auditTrail(): AuditTrail {
    this.trail ??= new SqliteAuditTrail(this.reader.db, (entries) => this.appendAudit(entries), this.durableWrite);
    return this.trail;
  }

  /** Runs a small write of its own under the write lock, durable when it resolves (auth state, audit maintenance). */
  private readonly durableWrite: SqliteWriteRunner = async (work) => {
    const result = await this.writeTurn(() => {
      this.assertOpen();
      const db = this.writer.db;
      const done = db.transaction(() => work(db)).immediate();
      this.checkpointer?.committed();
      return done;
    });
    await this.durable();
    return result;
  };

  /** True when both connections answer a trivial query. */
  async ping(): Promise<boolean> {
    if (this.closed || this.storageFull()) return false;
    try {
      this.reader.db.prepare('SELECT 1').get();
      this.writer.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  /** Waits for running writes and transactions, then closes both connections; calling it again is harmless. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.mutex.run(async () => {
      await this.durable(); // a group whose fsync is still running must not lose its file descriptor
      this.walSync?.close();
      await this.pool?.close();
      await this.checkpointer?.close();
      this.reader.db.close();
      // Refreshes planner statistics where they drifted (SQLite's advice for closing a connection). Advisory only:
      // on a full disk it cannot write them, and closing must still succeed (a SIGTERM then exits 0).
      try {
        this.writer.db.pragma('optimize');
      } catch (err) {
        if (!isStorageFull(err)) {
          this.writer.db.close();
          throw err;
        }
      }
      this.writer.db.close();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the SQLite store is closed');
  }
}

/**
 * The `tx` view handed to transaction work: reads and writes on the write connection inside the open
 * transaction (so reads see the transaction's own writes); it stops working once the transaction ends.
 */
class SqliteTransaction implements ResourceStore {
  readonly capabilities = CAPABILITIES;
  private active = true;
  /**
   * The first write that failed other than by a conflict. Writes here take no savepoint of their own (the
   * transaction is all-or-nothing), so one may have left part of itself: the store rolls back even if `work` caught
   * the error and went on.
   */
  failure: { err: unknown } | undefined;
  private rows = 0;
  private chars = 0;

  constructor(private readonly session: SqliteSession) {}

  end(): void {
    this.active = false;
  }

  /** True once the transaction has written as much as one large write (see isLargeWrite). */
  get large(): boolean {
    return this.rows > LARGE_WRITE_ROWS || this.chars > LARGE_WRITE_CHARS;
  }

  async write(w: VersionWrite, expectedVersion: string | null): Promise<void> {
    this.rows += w.index.length;
    this.chars += w.version.json.length;
    try {
      if (isLargeWrite(w)) await this.session.writeInSteps(w, this.check(expectedVersion), new Pacer());
      else this.session.writeInOpenTransaction(w, this.check(expectedVersion));
    } catch (err) {
      // A conflict changed nothing; anything else may have left part of the write, so the transaction cannot commit.
      if (!(err instanceof VersionConflict)) this.failure ??= { err };
      throw err;
    }
  }

  async read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    return this.session.read(this.check(resourceType), id);
  }

  async vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    return this.session.vread(this.check(resourceType), id, versionId);
  }

  async history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>> {
    return this.session.history(this.check(scope), page);
  }

  async search(query: StoreQuery): Promise<Page<StoredVersion>> {
    return this.session.search(this.check(query));
  }

  /** Nested transactions run inline, inside the enclosing one. */
  async transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    return work(this.check(this));
  }

  /** The enclosing transaction already holds the write lock. */
  async serialized<T>(_key: string, work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    return work(this.check(this));
  }

  /** The enclosing transaction is synced by whoever committed it. */
  sync(): undefined {
    return undefined;
  }

  async ping(): Promise<boolean> {
    return this.active;
  }

  /** Closing a transaction view does nothing: the enclosing transaction owns the connection. */
  async close(): Promise<void> {}

  private check<T>(value: T): T {
    if (!this.active) throw new Error('the transaction has already ended');
    return value;
  }
}
