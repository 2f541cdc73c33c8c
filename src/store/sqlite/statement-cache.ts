import type Database from 'better-sqlite3';

/**
 * Prepared statements of one connection keyed by SQL text, so a query shape is compiled by SQLite once.
 * SQL text only ever depends on the shape of a query (never on user values), and the cache is bounded
 * so that a client sending endless shapes cannot grow memory without limit.
 */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database, private readonly limit = 500) {}

  /** The prepared statement for `sql`, prepared on first use; least recently used shapes are evicted. */
  get(sql: string): Database.Statement {
    const hit = this.statements.get(sql);
    if (hit !== undefined) {
      this.statements.delete(sql);
      this.statements.set(sql, hit);
      return hit;
    }
    const stmt = this.db.prepare(sql);
    this.statements.set(sql, stmt);
    if (this.statements.size > this.limit) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    return stmt;
  }
}
