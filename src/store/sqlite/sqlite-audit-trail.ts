import type Database from 'better-sqlite3';
import type { Page } from '../../vocabulary/versions.js';
import type { StoreQuery } from '../../vocabulary/plan.js';
import type { AuditCheckpoint, AuditColumns, AuditEntityRow, AuditEntry, AuditLink, AuditTrail, StoredAudit } from '../audit-trail.js';
import { UnsupportedAuditQuery } from '../audit-trail.js';
import { auditOrder } from '../audit-order.js';
import { compileAuditWhere } from './audit-compile.js';
import type { SqliteWriteRunner } from './sqlite-auth-state.js';

interface LogRow {
  seq: number;
  prev_hash: string;
  hash: string;
  record: string;
  recorded: number;
  type: string;
  subtype: string;
  action: string;
  outcome: string;
  who: string | null;
  agent_names: string;
  client: string | null;
  address: string | null;
  site: string;
}

function columnsOf(r: LogRow): AuditColumns {
  const c: AuditColumns = {
    recorded: r.recorded, type: r.type, subtype: r.subtype, action: r.action, outcome: r.outcome, agentNames: r.agent_names, site: r.site,
  };
  if (r.who !== null) c.who = r.who;
  if (r.client !== null) c.client = r.client;
  if (r.address !== null) c.address = r.address;
  return c;
}

/** Keyset cursor of an AuditEvent page: the last row's sort key. */
interface Cursor {
  r: number;
  s: number;
}

const encode = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');
function decode(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Cursor;
    if (Number.isSafeInteger(c.r) && Number.isSafeInteger(c.s)) return c;
  } catch {
    // fall through
  }
  throw new UnsupportedAuditQuery('The paging cursor is not one this server issued');
}

/**
 * The audit trail in the SQLite file (tables `audit_log`, `audit_entity`, `audit_checkpoint`, `audit_anchor`): appends
 * go through the store's group commit (`enqueue`), so they share its transactions and fsyncs; reads, searches and
 * chain walks use the read connection, seeing only committed records.
 */
export class SqliteAuditTrail implements AuditTrail {
  constructor(
    private readonly reader: Database.Database,
    private readonly enqueue: (entries: readonly AuditEntry[]) => Promise<void>,
    private readonly write: SqliteWriteRunner,
  ) {}

  append(entries: readonly AuditEntry[]): Promise<void> {
    return this.enqueue(entries);
  }

  async read(seq: number): Promise<StoredAudit | undefined> {
    const row = this.reader.prepare('SELECT seq, record FROM audit_log WHERE seq = ?').get(seq) as { seq: number; record: string } | undefined;
    return row ? { seq: row.seq, text: row.record } : undefined;
  }

  async search(query: StoreQuery): Promise<Page<StoredAudit>> {
    const { where, args } = compileAuditWhere(query);
    const { byDate, descending } = auditOrder(query);
    const dir = descending ? 'DESC' : 'ASC';
    const cmp = descending ? '<' : '>';
    const key = byDate ? '(a.recorded, a.seq)' : 'a.seq';
    const pageArgs: unknown[] = [...args];
    let keyset = '';
    if (query.cursor) {
      const c = decode(query.cursor);
      keyset = byDate ? ` AND ${key} ${cmp} (?, ?)` : ` AND ${key} ${cmp} ?`;
      pageArgs.push(...(byDate ? [c.r, c.s] : [c.s]));
    }
    const order = byDate ? `a.recorded ${dir}, a.seq ${dir}` : `a.seq ${dir}`;
    const rows = query.count === 0 ? [] : this.reader.prepare(
      `SELECT a.seq AS seq, a.recorded AS recorded, a.record AS record FROM audit_log a WHERE (${where})${keyset} ORDER BY ${order} LIMIT ?`,
    ).all(...pageArgs, query.count + 1) as { seq: number; recorded: number; record: string }[];
    const page: Page<StoredAudit> = { items: rows.slice(0, query.count).map((r) => ({ seq: r.seq, text: r.record })) };
    if (rows.length > query.count) {
      const last = rows[query.count - 1]!;
      page.next = encode({ r: last.recorded, s: last.seq });
    }
    if (query.total === 'accurate' || query.total === 'estimate') {
      page.total = (this.reader.prepare(`SELECT count(*) AS n FROM audit_log a WHERE (${where})`).get(...args) as { n: number }).n;
    }
    return page;
  }

  async *links(from: number, to: number, batch: number): AsyncIterable<AuditLink> {
    const logs = this.reader.prepare('SELECT * FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?');
    const entities = this.reader.prepare('SELECT seq, role, ref, type, entity_type FROM audit_entity WHERE seq >= ? AND seq <= ? ORDER BY seq, role, ref');
    let next = from;
    while (next <= to) {
      const rows = logs.all(next, to, batch) as LogRow[];
      if (rows.length === 0) return;
      const lastSeq = rows[rows.length - 1]!.seq;
      const bySeq = new Map<number, AuditEntityRow[]>();
      for (const e of entities.all(rows[0]!.seq, lastSeq) as { seq: number; role: 'resource' | 'patient'; ref: string; type: string; entity_type: string }[]) {
        let list = bySeq.get(e.seq);
        if (!list) bySeq.set(e.seq, (list = []));
        list.push({ role: e.role, ref: e.ref, type: e.type, entityType: e.entity_type });
      }
      for (const r of rows) {
        yield { seq: r.seq, prevHash: r.prev_hash, hash: r.hash, text: r.record, columns: columnsOf(r), entities: bySeq.get(r.seq) ?? [] };
      }
      next = lastSeq + 1;
      // Let other work run between batches of a long walk.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async bounds(): Promise<{ first: number; last: number } | undefined> {
    const row = this.reader.prepare('SELECT min(seq) AS first, max(seq) AS last FROM audit_log').get() as { first: number | null; last: number | null };
    return row.first === null || row.last === null ? undefined : { first: row.first, last: row.last };
  }

  async seqAt(instant: number, side: 'from' | 'to'): Promise<number | undefined> {
    const row = side === 'from'
      ? this.reader.prepare('SELECT seq FROM audit_log WHERE recorded >= ? ORDER BY recorded, seq LIMIT 1').get(instant)
      : this.reader.prepare('SELECT seq FROM audit_log WHERE recorded <= ? ORDER BY recorded DESC, seq DESC LIMIT 1').get(instant);
    return (row as { seq: number } | undefined)?.seq;
  }

  async anchor(): Promise<{ seq: number; hash: string } | undefined> {
    return this.reader.prepare('SELECT seq, hash FROM audit_anchor WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  }

  addCheckpoint(c: AuditCheckpoint): Promise<void> {
    return this.write((db) => {
      db.prepare('INSERT OR REPLACE INTO audit_checkpoint (seq, hash, created, jws) VALUES (?, ?, ?, ?)').run(c.seq, c.hash, c.created, c.jws);
    });
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    return this.reader.prepare('SELECT seq, hash, created, jws FROM audit_checkpoint ORDER BY seq').all() as AuditCheckpoint[];
  }

  prune(upTo: AuditCheckpoint): Promise<number> {
    return this.write((db) => {
      const removed = db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(upTo.seq).changes;
      db.prepare('DELETE FROM audit_entity WHERE seq <= ?').run(upTo.seq);
      db.prepare('INSERT OR REPLACE INTO audit_anchor (id, seq, hash) VALUES (1, ?, ?)').run(upTo.seq, upTo.hash);
      db.prepare('DELETE FROM audit_checkpoint WHERE seq < ?').run(upTo.seq);
      return removed;
    });
  }
}
