import type Database from 'better-sqlite3';
import { GENESIS_HASH, linkHash } from '../audit-trail.js';
import type { AuditEntry } from '../audit-trail.js';

/**
 * Appends audit entries on the write connection, inside the caller's transaction: each gets the next sequence
 * number and the hash chained to the last committed (or earlier in this transaction) link, read from the table
 * itself so a second process appending to the same file keeps one chain.
 */
export function prepareAuditWriter(db: Database.Database): (entries: readonly AuditEntry[]) => void {
  const head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const anchor = db.prepare('SELECT seq, hash FROM audit_anchor WHERE id = 1');
  const insertLog = db.prepare(`INSERT INTO audit_log
    (seq, prev_hash, hash, record, recorded, type, subtype, action, outcome, who, agent_names, client, address, site)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertEntity = db.prepare('INSERT OR IGNORE INTO audit_entity (seq, role, ref, type, entity_type) VALUES (?, ?, ?, ?, ?)');
  const append = db.transaction((entries: readonly AuditEntry[]) => {
    const last = (head.get() ?? anchor.get()) as { seq: number; hash: string } | undefined;
    let seq = last?.seq ?? 0;
    let prev = last?.hash ?? GENESIS_HASH;
    for (const e of entries) {
      seq++;
      const hash = linkHash(prev, e.text);
      const c = e.columns;
      insertLog.run(seq, prev, hash, e.text, c.recorded, c.type, c.subtype, c.action, c.outcome, c.who ?? null, c.agentNames, c.client ?? null, c.address ?? null, c.site);
      for (const x of e.entities) insertEntity.run(seq, x.role, x.ref, x.type, x.entityType);
      prev = hash;
    }
  });
  // Inside the group's transaction better-sqlite3 makes this a savepoint: a failed append undoes only itself.
  return (entries) => append(entries);
}
