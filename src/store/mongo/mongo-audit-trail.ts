import type { Collection, Db, Document } from 'mongodb';
import type { Page } from '../../vocabulary/versions.js';
import type { StoreQuery } from '../../vocabulary/plan.js';
import {
  GENESIS_HASH, linkHash, UnsupportedAuditQuery,
  type AuditCheckpoint, type AuditColumns, type AuditEntityRow, type AuditEntry, type AuditLink, type AuditTrail, type StoredAudit,
} from '../audit-trail.js';
import { auditOrder } from '../audit-order.js';
import { Mutex } from '../mutex.js';
import { compileAuditFilter } from './audit-compile.js';
import { ensureIndexes } from './indexes.js';

/** One audit record: `_id` is its sequence number, so two appenders can never take the same link. */
interface AuditDoc {
  _id: number;
  prev: string;
  hash: string;
  text: string;
  recorded: number;
  type: string; typeS: string; typeC: string;
  subtype: string; subtypeS: string; subtypeC: string;
  action: string;
  outcome: string;
  who: string | null;
  whoId: string | null;
  agentNames: string;
  /** The folded agent names one per element (agent-name searches). */
  names: string[];
  client: string | null;
  address: string | null;
  addressLower: string | null;
  site: string;
  entities: (AuditEntityRow & { refId: string })[];
  /** The patients concerned (`Patient/id`), for `patient` searches without `$elemMatch`. */
  patients: string[];
}

const split = (systemCode: string): [string, string] => {
  const i = systemCode.indexOf('|');
  return i < 0 ? ['', systemCode] : [systemCode.slice(0, i), systemCode.slice(i + 1)];
};
const idPart = (ref: string): string => ref.slice(ref.indexOf('/') + 1);

/** One entity row per (role, ref): the SQLite trail's primary key, which verification expects (verify.ts). */
function uniqueEntities(rows: readonly AuditEntityRow[]): (AuditEntityRow & { refId: string })[] {
  const seen = new Map<string, AuditEntityRow & { refId: string }>();
  for (const x of rows) {
    const k = `${x.role}|${x.ref}`;
    if (!seen.has(k)) seen.set(k, { role: x.role, ref: x.ref, type: x.type, entityType: x.entityType, refId: idPart(x.ref) });
  }
  return [...seen.values()];
}

function columnsOf(d: AuditDoc): AuditColumns {
  const c: AuditColumns = { recorded: d.recorded, type: d.type, subtype: d.subtype, action: d.action, outcome: d.outcome, agentNames: d.agentNames, site: d.site };
  if (d.who !== null) c.who = d.who;
  if (d.client !== null) c.client = d.client;
  if (d.address !== null) c.address = d.address;
  return c;
}

const encode = (c: { r: number; s: number }): string => Buffer.from(JSON.stringify(c)).toString('base64url');
function decode(raw: string): { r: number; s: number } {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as { r: number; s: number };
    if (Number.isSafeInteger(c.r) && Number.isSafeInteger(c.s)) return c;
  } catch {
    // fall through
  }
  throw new UnsupportedAuditQuery('The paging cursor is not one this server issued');
}

/**
 * The audit trail in MongoDB (collections `vesta_audit`, `vesta_audit_checkpoints`, `vesta_audit_meta`), with the
 * same hash chain as SQLite's (audit-trail.ts `linkHash`). An append inserts record `head + 1` linked to the head's
 * hash; the unique `_id` makes that atomic on every server, so a second process appending meanwhile makes the insert
 * fail and this one re-reads the head and re-links, keeping one chain. Each record is its own write (acknowledged
 * with the store's write concern), not part of the data write's transaction.
 */
export class MongoAuditTrail implements AuditTrail {
  private readonly log: Collection<AuditDoc>;
  private readonly cps: Collection<AuditCheckpoint & { _id: number }>;
  private readonly meta: Collection<{ _id: string; seq: number; hash: string }>;
  private readonly mutex = new Mutex();
  private head: { seq: number; hash: string } | undefined;

  constructor(db: Db) {
    this.log = db.collection<AuditDoc>('vesta_audit');
    this.cps = db.collection('vesta_audit_checkpoints');
    this.meta = db.collection('vesta_audit_meta');
  }

  /** The indexes of the audit searches (idempotent, by name). */
  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.log as unknown as Collection<Document>, [
      { name: 'vesta_audit_recorded', key: { recorded: 1, _id: 1 } },
      { name: 'vesta_audit_entity', key: { 'entities.ref': 1 } },
      { name: 'vesta_audit_patient', key: { patients: 1 } },
      { name: 'vesta_audit_who', key: { who: 1 } },
    ], () => undefined);
  }

  private async readHead(): Promise<{ seq: number; hash: string }> {
    const last = await this.log.find({}, { projection: { hash: 1 } }).sort({ _id: -1 }).limit(1).next();
    if (last) return { seq: last._id, hash: last.hash };
    const anchor = await this.anchor();
    return anchor ?? { seq: 0, hash: GENESIS_HASH };
  }

  append(entries: readonly AuditEntry[]): Promise<void> {
    return this.mutex.run(async () => {
      for (const e of entries) {
        for (;;) {
          const head = (this.head ??= await this.readHead());
          const hash = linkHash(head.hash, e.text);
          const c = e.columns;
          const [typeS, typeC] = split(c.type);
          const [subtypeS, subtypeC] = split(c.subtype);
          const doc: AuditDoc = {
            _id: head.seq + 1, prev: head.hash, hash, text: e.text, recorded: c.recorded,
            type: c.type, typeS, typeC, subtype: c.subtype, subtypeS, subtypeC, action: c.action, outcome: c.outcome,
            who: c.who ?? null, whoId: c.who === undefined ? null : idPart(c.who), agentNames: c.agentNames,
            names: c.agentNames.split('\n').filter((n) => n !== ''), client: c.client ?? null,
            address: c.address ?? null, addressLower: c.address === undefined ? null : c.address.toLowerCase(), site: c.site,
            entities: uniqueEntities(e.entities),
            patients: [...new Set(e.entities.filter((x) => x.role === 'patient').map((x) => x.ref))],
          };
          try {
            await this.log.insertOne(doc);
            this.head = { seq: doc._id, hash };
            break;
          } catch (err) {
            this.head = undefined;
            // Another process took this link: re-read the head and link after it.
            if ((err as { code?: unknown }).code !== 11000) throw err;
          }
        }
      }
    });
  }

  async read(seq: number): Promise<StoredAudit | undefined> {
    const d = await this.log.findOne({ _id: { $eq: seq } }, { projection: { text: 1 } });
    return d ? { seq: d._id, text: d.text } : undefined;
  }

  async search(query: StoreQuery): Promise<Page<StoredAudit>> {
    const filter = compileAuditFilter(query);
    const { byDate, descending } = auditOrder(query);
    const dir = descending ? -1 : 1;
    const cmp = descending ? '$lt' : '$gt';
    let keyset: Document = {};
    if (query.cursor) {
      const c = decode(query.cursor);
      keyset = byDate ? { $or: [{ recorded: { [cmp]: c.r } }, { recorded: { $eq: c.r }, _id: { [cmp]: c.s } }] } : { _id: { [cmp]: c.s } };
    }
    const sort: Record<string, 1 | -1> = byDate ? { recorded: dir, _id: dir } : { _id: dir };
    const docs = query.count === 0 ? [] : await this.log.find({ $and: [filter, keyset] }, { projection: { text: 1, recorded: 1 } })
      .sort(sort).limit(query.count + 1).toArray();
    const page: Page<StoredAudit> = { items: docs.slice(0, query.count).map((d) => ({ seq: d._id, text: d.text })) };
    if (docs.length > query.count) {
      const last = docs[query.count - 1]!;
      page.next = encode({ r: last.recorded, s: last._id });
    }
    if (query.total === 'accurate' || query.total === 'estimate') page.total = await this.log.countDocuments(filter);
    return page;
  }

  async *links(from: number, to: number, batch: number): AsyncIterable<AuditLink> {
    let next = from;
    while (next <= to) {
      const docs = await this.log.find({ _id: { $gte: next, $lte: to } }).sort({ _id: 1 }).limit(batch).toArray();
      if (docs.length === 0) return;
      for (const d of docs) {
        const entities = d.entities.map(({ role, ref, type, entityType }) => ({ role, ref, type, entityType }))
          .sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
        yield { seq: d._id, prevHash: d.prev, hash: d.hash, text: d.text, columns: columnsOf(d), entities };
      }
      next = docs[docs.length - 1]!._id + 1;
    }
  }

  async bounds(): Promise<{ first: number; last: number } | undefined> {
    const first = await this.log.find({}, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(1).next();
    const last = await this.log.find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).next();
    return first && last ? { first: first._id, last: last._id } : undefined;
  }

  async seqAt(instant: number, side: 'from' | 'to'): Promise<number | undefined> {
    const d = side === 'from'
      ? await this.log.find({ recorded: { $gte: instant } }, { projection: { _id: 1 } }).sort({ recorded: 1, _id: 1 }).limit(1).next()
      : await this.log.find({ recorded: { $lte: instant } }, { projection: { _id: 1 } }).sort({ recorded: -1, _id: -1 }).limit(1).next();
    return d?._id;
  }

  async anchor(): Promise<{ seq: number; hash: string } | undefined> {
    const d = await this.meta.findOne({ _id: 'anchor' });
    return d ? { seq: d.seq, hash: d.hash } : undefined;
  }

  async addCheckpoint(c: AuditCheckpoint): Promise<void> {
    await this.cps.replaceOne({ _id: c.seq }, { seq: c.seq, hash: c.hash, created: c.created, jws: c.jws }, { upsert: true });
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    const docs = await this.cps.find({}).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({ seq: d.seq, hash: d.hash, created: d.created, jws: d.jws }));
  }

  /** The anchor is written first, so a crash midway leaves records the anchor already covers (verification holds). */
  async prune(upTo: AuditCheckpoint): Promise<number> {
    await this.meta.replaceOne({ _id: 'anchor' }, { seq: upTo.seq, hash: upTo.hash }, { upsert: true });
    const removed = (await this.log.deleteMany({ _id: { $lte: upTo.seq } })).deletedCount;
    await this.cps.deleteMany({ _id: { $lt: upTo.seq } });
    return removed;
  }
}
