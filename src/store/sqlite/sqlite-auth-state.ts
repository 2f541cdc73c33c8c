import type Database from 'better-sqlite3';
import type { AuthRecord, AuthStateStore } from '../auth-state.js';

interface Row {
  kind: string;
  id: string;
  value: string;
  expires_at: number | null;
}

function toRecord<T>(row: Row): AuthRecord<T> {
  const r: AuthRecord<T> = { kind: row.kind, id: row.id, value: JSON.parse(row.value) as T };
  if (row.expires_at !== null) r.expiresAt = row.expires_at;
  return r;
}

/** How the SQLite store lets the auth state write: under its write lock, durable when the promise resolves. */
export type SqliteWriteRunner = <T>(work: (db: Database.Database) => T) => Promise<T>;

/**
 * The auth state in the `auth_state` table of the SQLite file (schema.ts). Reads use the read connection (they see
 * committed state, including what a CLI process wrote); writes go through the store's writer and its durability.
 */
export class SqliteAuthState implements AuthStateStore {
  private readonly getStmt: Database.Statement;
  private readonly listStmt: Database.Statement;
  private readonly hasStmt: Database.Statement;

  constructor(reader: Database.Database, private readonly write: SqliteWriteRunner) {
    this.getStmt = reader.prepare('SELECT kind, id, value, expires_at FROM auth_state WHERE kind = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)');
    this.hasStmt = reader.prepare('SELECT 1 FROM auth_state WHERE kind = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)').pluck();
    this.listStmt = reader.prepare('SELECT kind, id, value, expires_at FROM auth_state WHERE kind = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id');
  }

  async get<T>(kind: string, id: string): Promise<AuthRecord<T> | undefined> {
    const row = this.getStmt.get(kind, id, Date.now()) as Row | undefined;
    return row ? toRecord<T>(row) : undefined;
  }

  async has(kind: string, id: string): Promise<boolean> {
    return this.hasStmt.get(kind, id, Date.now()) !== undefined;
  }

  async list<T>(kind: string): Promise<AuthRecord<T>[]> {
    return (this.listStmt.all(kind, Date.now()) as Row[]).map((r) => toRecord<T>(r));
  }

  put<T>(r: AuthRecord<T>): Promise<void> {
    return this.write((db) => {
      db.prepare('INSERT OR REPLACE INTO auth_state (kind, id, value, expires_at) VALUES (?, ?, ?, ?)')
        .run(r.kind, r.id, JSON.stringify(r.value), r.expiresAt ?? null);
    });
  }

  insert<T>(r: AuthRecord<T>): Promise<boolean> {
    return this.write((db) => {
      // An expired record with the same id no longer counts: it is replaced.
      db.prepare('DELETE FROM auth_state WHERE kind = ? AND id = ? AND expires_at IS NOT NULL AND expires_at <= ?').run(r.kind, r.id, Date.now());
      const info = db.prepare('INSERT OR IGNORE INTO auth_state (kind, id, value, expires_at) VALUES (?, ?, ?, ?)')
        .run(r.kind, r.id, JSON.stringify(r.value), r.expiresAt ?? null);
      return info.changes === 1;
    });
  }

  take<T>(kind: string, id: string): Promise<AuthRecord<T> | undefined> {
    return this.write((db) => {
      const row = db.prepare('DELETE FROM auth_state WHERE kind = ? AND id = ? RETURNING kind, id, value, expires_at').get(kind, id) as Row | undefined;
      if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
      return toRecord<T>(row);
    });
  }

  delete(kind: string, id: string): Promise<void> {
    return this.write((db) => {
      db.prepare('DELETE FROM auth_state WHERE kind = ? AND id = ?').run(kind, id);
    });
  }

  purgeExpired(now = Date.now()): Promise<number> {
    return this.write((db) => db.prepare('DELETE FROM auth_state WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes);
  }
}
