import type Database from 'better-sqlite3';
import { VersionConflict, type HistoryScope, type Page, type PageRequest, type StoredVersion, type VersionWrite } from '../port.js';
import type { StoreQuery } from '../../vocabulary/plan.js';
import type { Pacer } from '../../fhir/pacer.js';
import { historyPage } from './history.js';
import { prepareIndexWriter, type IndexWriter } from './index-writer.js';
import { searchPage } from './search-page.js';
import { StatementCache } from './statement-cache.js';
import { currentColumns, toVersion, VERSION_COLUMNS, type VersionRow } from './rows.js';

/** Index rows written or removed per step by `writeInSteps`: a few milliseconds of SQLite work. */
const STEP_ROWS = 256;

/** The prepared parts of a write: the version and resource rows (with the compare-and-set check), and the index rows. */
interface WriteStatements {
  head(w: VersionWrite, expected: string | null): { rid: number; existed: boolean };
  index: IndexWriter;
}

/**
 * The synchronous operations of the store on one connection, with every fixed statement prepared once.
 * Used on the read-only connection for reads outside transactions, and on the write connection for
 * writes and for the reads of a transaction (which must see its own uncommitted writes).
 */
export class SqliteSession {
  readonly cache: StatementCache;
  private readonly readStmt: Database.Statement;
  private readonly vreadStmt: Database.Statement;
  private writeFn: ((w: VersionWrite, expected: string | null) => void) | undefined;
  private writeBody: ((w: VersionWrite, expected: string | null) => void) | undefined;
  private statements: WriteStatements | undefined;
  private replaceFn: ((w: VersionWrite) => boolean) | undefined;

  constructor(readonly db: Database.Database) {
    this.cache = new StatementCache(db);
    this.readStmt = db.prepare(`SELECT ${currentColumns('r')} FROM resources r WHERE r.type = ? AND r.id = ?`);
    this.vreadStmt = db.prepare(
      `SELECT ${VERSION_COLUMNS} FROM versions WHERE rid = (SELECT rid FROM resources WHERE type = ? AND id = ?) AND version_id = ?`,
    );
  }

  /** The current version (possibly a tombstone), or undefined; one lookup in the (type, id) index. */
  read(type: string, id: string): StoredVersion | undefined {
    const row = this.readStmt.get(type, id) as VersionRow | undefined;
    return row === undefined ? undefined : toVersion(row);
  }

  /** One version of a resource, or undefined. */
  vread(type: string, id: string, versionId: string): StoredVersion | undefined {
    const row = this.vreadStmt.get(type, id, versionId) as VersionRow | undefined;
    return row === undefined ? undefined : toVersion(row);
  }

  /** A page of history (see history.ts). */
  history(scope: HistoryScope, page: PageRequest): Page<StoredVersion> {
    return historyPage(this.cache, scope, page);
  }

  /** A page of search results (see search-page.ts). */
  search(query: StoreQuery): Page<StoredVersion> {
    return searchPage(this.cache, query);
  }

  /**
   * Compare-and-set write of one version and its index rows, atomic on its own (a transaction, or a
   * savepoint when a transaction is already open on this connection). Only valid on the write connection.
   */
  write(w: VersionWrite, expected: string | null): void {
    this.writeFn ??= this.prepareWrite();
    this.writeFn(w, expected);
  }

  /**
   * The same write in steps, with `pace` between them (fhir/pacer.ts), for a version too large to write in one go
   * without holding the event loop: the version row, then its index rows a few hundred at a time (an update first
   * removes the old rows the same way). The caller must hold an open transaction on this connection, keep it until
   * this resolves, and roll it back if this rejects (as after `writeInOpenTransaction`).
   */
  async writeInSteps(w: VersionWrite, expected: string | null, pace: Pacer): Promise<void> {
    const s = this.writeStatements();
    const { rid, existed } = s.head(w, expected);
    await pace.tick();
    if (existed) {
      while (s.index.clearSome(rid, STEP_ROWS) > 0) await pace.tick();
    }
    if (!w.version.deleted) {
      for (let i = 0; i < w.index.length; i += STEP_ROWS) {
        s.index.insertAll(rid, w.index.slice(i, i + STEP_ROWS));
        await pace.tick();
      }
    }
  }

  private writeStatements(): WriteStatements {
    if (this.statements) return this.statements;
    const db = this.db;
    const current = db.prepare('SELECT rid, version_id FROM resources WHERE type = ? AND id = ?');
    const insertResource = db.prepare(
      'INSERT INTO resources (type, id, version_id, last_updated, deleted, method, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const updateResource = db.prepare(
      'UPDATE resources SET version_id = ?, last_updated = ?, deleted = ?, method = ?, vseq = ? WHERE rid = ?',
    );
    const setCurrent = db.prepare('UPDATE resources SET vseq = ? WHERE rid = ?');
    const insertVersion = db.prepare(
      'INSERT INTO versions (rid, type, id, version_id, last_updated, deleted, method, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const head = (w: VersionWrite, expected: string | null): { rid: number; existed: boolean } => {
      const v = w.version;
      const cur = current.get(v.resourceType, v.id) as { rid: number; version_id: string } | undefined;
      const actual = cur?.version_id ?? null;
      if (actual !== expected) throw new VersionConflict(v.resourceType, v.id, actual);
      const deleted = v.deleted ? 1 : 0;
      const addVersion = (rid: number): number =>
        Number(insertVersion.run(rid, v.resourceType, v.id, v.versionId, v.lastUpdated, deleted, v.method, v.json).lastInsertRowid);
      if (cur === undefined) {
        // resources.json stays empty: the JSON lives once, in versions, reached by vseq (rows.ts currentColumns).
        // The version row needs the rid and the resource row the vseq; the second update rewrites a page
        // this transaction has just dirtied.
        const rid = Number(insertResource.run(v.resourceType, v.id, v.versionId, v.lastUpdated, deleted, v.method, '').lastInsertRowid);
        setCurrent.run(addVersion(rid), rid);
        return { rid, existed: false };
      }
      updateResource.run(v.versionId, v.lastUpdated, deleted, v.method, addVersion(cur.rid), cur.rid);
      return { rid: cur.rid, existed: true };
    };
    this.statements = { head, index: prepareIndexWriter(db) };
    return this.statements;
  }

  /**
   * The same write without a transaction or savepoint of its own, for a caller whose open transaction is
   * all-or-nothing: a savepoint makes SQLite copy every page the write touches to a statement journal first, the
   * largest single cost of a transaction Bundle's entry. A VersionConflict still changes nothing (it is thrown before
   * any change); any other error may leave part of the write, which only the rollback of the whole transaction undoes,
   * so the caller must roll back after it.
   */
  writeInOpenTransaction(w: VersionWrite, expected: string | null): void {
    this.writeBody ??= this.prepareWriteBody();
    this.writeBody(w, expected);
  }

  private prepareWriteBody(): (w: VersionWrite, expected: string | null) => void {
    const { head, index } = this.writeStatements();
    return (w, expected) => {
      const { rid, existed } = head(w, expected);
      // Index rows describe the current version only; a tombstone has none.
      if (!existed) {
        if (!w.version.deleted) index.insertAll(rid, w.index);
      } else if (w.version.deleted) index.clear(rid);
      else index.replace(rid, w.index);
    };
  }

  private prepareWrite(): (w: VersionWrite, expected: string | null) => void {
    this.writeBody ??= this.prepareWriteBody();
    const tx = this.db.transaction(this.writeBody);
    // IMMEDIATE takes the write lock at BEGIN; inside an open transaction better-sqlite3 uses a savepoint.
    return (w, expected) => tx.immediate(w, expected);
  }

  /**
   * Replaces the index rows of a version if it is still the current, non-deleted version; returns whether it
   * did. Used by reindexing, which must never overwrite the index of a newer write.
   */
  replaceIndex(w: VersionWrite): boolean {
    this.replaceFn ??= this.prepareReplace();
    return this.replaceFn(w);
  }

  private prepareReplace(): (w: VersionWrite) => boolean {
    const db = this.db;
    const current = db.prepare('SELECT rid, version_id, deleted FROM resources WHERE type = ? AND id = ?');
    const index = prepareIndexWriter(db);
    const tx = db.transaction((w: VersionWrite): boolean => {
      const v = w.version;
      const cur = current.get(v.resourceType, v.id) as { rid: number; version_id: string; deleted: number } | undefined;
      if (!cur || cur.deleted || cur.version_id !== v.versionId) return false;
      index.replace(cur.rid, w.index);
      return true;
    });
    return (w) => tx.immediate(w);
  }
}
