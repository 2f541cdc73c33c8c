import { MongoClient, MongoServerError } from 'mongodb';
import type { ClientSession, Collection, Db, Document, Filter } from 'mongodb';
import type { StoreQuery, Clause } from '../../vocabulary/plan.js';
import {
  VersionConflict, type HistoryScope, type IndexMaintenance, type Page, type PageRequest, type ResourceStore,
  type StoreCapabilities, type StoredVersion, type VersionWrite,
} from '../port.js';
import { Mutex } from '../mutex.js';
import { compileFilter, type StageRunner } from './compile.js';
import {
  byId, collectionName, currentDoc, fromCurrent, fromHistory, historyDoc, historyKey, indexArrays, VERSION_PROJECTION,
  type CurrentDoc, type HistoryDoc,
} from './documents.js';
import { historyPage } from './history.js';
import { CURRENT_INDEXES, ensureIndexes, HISTORY_INDEXES } from './indexes.js';
import { searchPage, type SearchSource } from './search-page.js';
import { scanPage } from './scan-page.js';
import { describeServer, type MongoServerInfo } from './server-kind.js';
import { MongoAuthState } from './mongo-auth-state.js';
import { MongoAuditTrail } from './mongo-audit-trail.js';

/** Options of `MongoStore.open`. */
export interface MongoStoreOptions {
  /** The connection string (credentials are never logged). */
  uri: string;
  /** The database; default the one named in the URI, else `vesta`. */
  dbName?: string;
  /** Receives what the store logs at start (indexes ensured); PHI-free by construction. */
  log?: (msg: string, meta: Record<string, unknown>) => void;
}

/** Vesta's own collections; resource types (capitalized) can never collide with them. */
export const HISTORY = 'vesta_history';
const SEQ_BLOCKS = 'vesta_seq_blocks';
const LOCKS = 'vesta_locks';
/** Sequence numbers taken from the shared counter at once (one round trip per block, not per write). */
const SEQ_BLOCK = 256;
/**
 * On a server without atomic conditional updates, a pending claim younger than this is left to its writer to install
 * (`rollForward`); an older one is presumed left by a dead writer and finished by whoever finds it.
 */
const LIVE_CLAIM_MS = 10_000;
/** A `serialized` lock older than this is presumed left by a dead process and taken over. */
const LOCK_TTL_MS = 30_000;

/** Everything the plan can say compiles (chains and `_has` in capped stages); transactions only on a replica set. */
function capabilitiesFor(server: MongoServerInfo): StoreCapabilities {
  return Object.freeze({
    name: 'mongodb', transactions: server.transactions, maxChainDepth: 4, reverseChains: true, composite: true, accurateTotals: true,
    sortTypes: Object.freeze(['string', 'token', 'date', 'number', 'quantity', 'uri', 'reference'] as const),
  });
}

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A refusal after which the same write step may simply be sent again: MongoDB labels such errors; FerretDB on SQLite
 * answers SQLITE_BUSY (an InternalError, unlabelled) when concurrent writers collide, having written nothing.
 */
function isTransient(err: unknown): boolean {
  return err instanceof MongoServerError && (err.hasErrorLabel('RetryableWriteError') || err.message.includes('SQLITE_BUSY'));
}

/** Runs one idempotent write step, sending it again after a transient refusal (a few times, pausing longer each time). */
async function againIfTransient<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= 6 || !isTransient(err)) throw err;
      await sleep(2 ** attempt * 5 + Math.random() * 5);
    }
  }
}

/**
 * The ResourceStore on MongoDB (docs/mongodb.md): one collection per resource type holding the current versions
 * with their search index arrays, one insert-only history collection, the search plan compiled to filters and
 * aggregations (compile.ts, search-page.ts).
 *
 * The write, in three steps, each atomic on every MongoDB-wire server:
 * 1. claim: insert the history document `type/id/version` (unique `_id`: two writers of one version never both win,
 *    even on FerretDB whose conditional updates are not atomic), carrying the current document it will install;
 * 2. install: replace the current document if it is older (upsert on create);
 * 3. commit: remove the carried document from the history entry.
 * A crash after 1 leaves a pending history entry that readers hide (its current document never reached it) and the
 * next writer of that resource finishes (roll forward) before reporting the conflict (on FerretDB, whose conditional
 * replace of step 2 is not atomic, only once the claim is LIVE_CLAIM_MS old); a crash after 2 leaves one
 * that readers see as committed because the current document reached it (and they complete step 3). So a reader
 * never sees a current version without its history, nor a version in history ahead of the current one.
 */
export class MongoStore implements ResourceStore, IndexMaintenance {
  readonly capabilities: StoreCapabilities;
  /**
   * Searches evaluated in process (doc-match.ts) because the server's query language cannot carry the compiled
   * filters: FerretDB 1.x (no `$elemMatch` with field names, no `$min`/`$max`/`$first`). Correct, but each search reads
   * every candidate its superset filter lets through (loose-filter.ts).
   */
  readonly inProcessSearch: boolean;
  /** Whether step 3 of a write is done (`commit`): not on FerretDB 1.x. */
  private readonly commitsHistory: boolean;
  /** Whether a conditional replace is atomic on the server (not on FerretDB 1.x): see `rollForward`. */
  private readonly atomicUpdates: boolean;
  private readonly versions: Collection<HistoryDoc>;
  private readonly ensured = new Map<string, Promise<void>>();
  private readonly txMutex = new Mutex();
  private readonly keyed = new Map<string, Mutex>();
  private seqNext = 0;
  private seqEnd = 0;
  private seqMutex = new Mutex();
  private closed = false;
  private auth: MongoAuthState | undefined;
  private trail: MongoAuditTrail | undefined;
  private readonly owner = `${process.pid}-${Math.random().toString(36).slice(2)}`;

  private constructor(
    readonly client: MongoClient, readonly db: Db, readonly server: MongoServerInfo,
    private readonly log: (msg: string, meta: Record<string, unknown>) => void,
  ) {
    this.capabilities = capabilitiesFor(server);
    this.inProcessSearch = server.kind === 'FerretDB';
    this.commitsHistory = server.kind !== 'FerretDB';
    this.atomicUpdates = server.kind !== 'FerretDB';
    this.versions = db.collection<HistoryDoc>(HISTORY);
  }

  /** Connects, identifies the server, and ensures the shared indexes. */
  static async open(opts: MongoStoreOptions): Promise<MongoStore> {
    const explicitW = /[?&]w=/i.test(opts.uri);
    // w: majority unless the URI says otherwise; retryable writes are the driver's default where sessions exist.
    const client = new MongoClient(opts.uri, explicitW ? {} : { writeConcern: { w: 'majority' } });
    await client.connect();
    try {
      const db = client.db(opts.dbName);
      const server = await describeServer(db);
      const store = new MongoStore(client, db, server, opts.log ?? (() => undefined));
      await ensureIndexes(store.versions as unknown as Collection<Document>, HISTORY_INDEXES, store.log);
      await ensureIndexes(db.collection(LOCKS), [{ name: 'vesta_locks_expiry', key: { exp: 1 } }], store.log);
      await store.auditTrail().ensureIndexes();
      return store;
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
  }

  /** The authorization state in this database (collection `vesta_auth_state`). */
  authState(): MongoAuthState {
    this.auth ??= new MongoAuthState(this.db.collection('vesta_auth_state'));
    return this.auth;
  }

  /** The audit trail in this database (collections `vesta_audit*`), hash-chained as on SQLite. */
  auditTrail(): MongoAuditTrail {
    this.trail ??= new MongoAuditTrail(this.db);
    return this.trail;
  }

  /** The current collection of a type, its indexes ensured once per process before first use. */
  async current(type: string): Promise<Collection<CurrentDoc>> {
    const name = collectionName(type);
    const coll = this.db.collection<CurrentDoc>(name);
    let ready = this.ensured.get(name);
    if (ready === undefined) {
      ready = ensureIndexes(coll as unknown as Collection<Document>, CURRENT_INDEXES, this.log);
      this.ensured.set(name, ready);
      ready.catch(() => this.ensured.delete(name));
    }
    await ready;
    return coll;
  }

  /**
   * The next number of the shared sequence (creation order of resources, write order of versions). Numbers are
   * taken a block at a time: block b (numbers (b-1)·SEQ_BLOCK+1 … b·SEQ_BLOCK) belongs to whoever inserts `{_id: b}`
   * first, a unique-_id insert that is atomic on every server (FerretDB's `$inc` is not), so no two processes ever
   * hand out the same number.
   */
  private nextSeq(): Promise<number> {
    return this.seqMutex.run(async () => {
      if (this.seqNext >= this.seqEnd) {
        const blocks = this.db.collection<{ _id: number }>(SEQ_BLOCKS);
        for (;;) {
          const last = await blocks.find({}, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).next();
          const b = (last?._id ?? 0) + 1;
          try {
            await blocks.insertOne({ _id: b });
            this.seqNext = (b - 1) * SEQ_BLOCK;
            this.seqEnd = b * SEQ_BLOCK;
            break;
          } catch (err) {
            if (!isDuplicateKey(err)) throw err; // another process took block b: try the next one
          }
        }
      }
      return ++this.seqNext;
    });
  }

  write(w: VersionWrite, expectedVersion: string | null): Promise<void> {
    this.assertOpen();
    return this.writeWith(w, expectedVersion, undefined);
  }

  /** The compare-and-set write (class comment); `session` inside a transaction. */
  async writeWith(w: VersionWrite, expected: string | null, session: ClientSession | undefined): Promise<void> {
    const v = w.version;
    const n = Number(v.versionId);
    const expectedN = expected === null ? 0 : Number(expected);
    // The claim protects version n only if n follows the expected one (the write algorithm always writes so).
    if (!Number.isInteger(n) || n !== expectedN + 1) throw new Error(`version ${v.versionId} does not follow ${String(expected)}`);
    const coll = await this.current(v.resourceType);
    const cur = await coll.findOne(byId(v.id), { projection: { vid: 1, seq: 1 }, ...(session ? { session } : {}) });
    const actual = cur?.vid ?? null;
    if (actual !== expected) throw new VersionConflict(v.resourceType, v.id, actual);
    const doc = currentDoc(v, w.index, cur?.seq ?? (await this.nextSeq()));
    const claim: HistoryDoc = { ...historyDoc(v, await this.nextSeq()), next: doc, cl: Date.now() };
    try {
      // Outside a transaction each step is sent again after a transient refusal (a transaction retries as a whole).
      if (session) await this.versions.insertOne(claim, { session });
      else await againIfTransient(() => this.versions.insertOne(claim));
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      if (session !== undefined) throw new VersionConflict(v.resourceType, v.id, v.versionId);
      const found = await this.versions.findOne(byId(claim._id));
      // A retried insert of our own claim (retryable writes) finds itself; anyone else's claim wins.
      if (found === null || found.hs !== claim.hs) {
        if (found !== null) await this.rollForward(found);
        throw new VersionConflict(v.resourceType, v.id, v.versionId);
      }
    }
    await this.install(coll, doc, session);
    await this.commit(claim, session);
  }

  /** Step 2: the current document becomes `doc` unless it is already at that version or later (idempotent). */
  private async install(coll: Collection<CurrentDoc>, doc: CurrentDoc, session: ClientSession | undefined): Promise<void> {
    const opts = session ? { session } : {};
    try {
      // Version 1 has no current document to replace: an insert, atomic everywhere and cheap on FerretDB (whose upsert
      // that finds nothing reads the whole collection).
      const step = (): Promise<unknown> => (doc.v === 1 ? coll.insertOne(doc, opts)
        : coll.replaceOne({ ...byId(doc._id), v: { $lt: doc.v } }, doc, { upsert: true, ...opts }));
      await (session ? step() : againIfTransient(step));
    } catch (err) {
      // The upsert found a document at this version or later: someone finished this very write already.
      if (!isDuplicateKey(err) || session !== undefined) throw err;
    }
  }

  /**
   * Step 3: the history version loses its carried current document. Skipped on FerretDB 1.x, where every update reads
   * the whole (shared, ever-growing) history collection: there a version keeps its carried document, and readers tell
   * it committed by its current document having reached it (`visible`, one read by `_id`), as they do for any pending
   * version. Idempotent, so a reader completing the same step meanwhile is harmless.
   */
  private async commit(d: HistoryDoc, session: ClientSession | undefined): Promise<void> {
    if (!this.commitsHistory) return;
    const step = (): Promise<unknown> => this.versions.updateOne(byId(d._id), { $unset: { next: '', cl: '' } }, session ? { session } : {});
    await (session ? step() : againIfTransient(step));
  }

  /** Finishes a pending write found in history (its writer is slow or dead): install, then commit. */
  private async rollForward(d: HistoryDoc): Promise<void> {
    if (d.next === undefined) return;
    if (!this.atomicUpdates && d.cl !== undefined && Date.now() - d.cl < LIVE_CLAIM_MS) {
      // Its writer is presumably alive and installing it. Where a conditional replace is not atomic (FerretDB reads,
      // filters, then writes back), a second install of this version could land after the writer's and a later
      // version's install, putting the current document back a version; so only the writer installs it, and the
      // loser waits a moment before its retry re-reads.
      await sleep(10);
      return;
    }
    if (await this.visible(d)) return; // finished already (on FerretDB, versions keep their carried document)
    await this.install(await this.current(d.type), d.next, undefined);
    await this.commit(d, undefined);
  }

  /** Whether a pending history version is committed (its current document reached it); completes step 3 if so. */
  private readonly visible = async (d: HistoryDoc, session?: ClientSession): Promise<boolean> => {
    const coll = await this.current(d.type);
    const cur = await coll.findOne(byId(d.id), { projection: { v: 1 }, ...(session ? { session } : {}) });
    if (cur === null || cur.v < d.v) return false;
    if (session === undefined) await this.commit(d, undefined);
    return true;
  };

  read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    this.assertOpen();
    return this.readWith(resourceType, id, undefined);
  }

  async readWith(type: string, id: string, session: ClientSession | undefined): Promise<StoredVersion | undefined> {
    const coll = await this.current(type);
    const d = await coll.findOne(byId(id), { projection: VERSION_PROJECTION, ...(session ? { session } : {}) });
    return d === null ? undefined : fromCurrent(type, d);
  }

  vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    this.assertOpen();
    return this.vreadWith(resourceType, id, versionId, undefined);
  }

  async vreadWith(type: string, id: string, versionId: string, session: ClientSession | undefined): Promise<StoredVersion | undefined> {
    if (!/^[1-9]\d{0,14}$/.test(versionId)) return undefined;
    const d = await this.versions.findOne(byId(historyKey(collectionName(type), id, Number(versionId))), session ? { session } : {});
    if (d === null) return undefined;
    if (d.next !== undefined && !(await this.visible(d, session))) return undefined;
    return fromHistory(d);
  }

  history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>> {
    this.assertOpen();
    return historyPage(this.versions, (d) => this.visible(d), scope, page, this.inProcessSearch);
  }

  search(query: StoreQuery): Promise<Page<StoredVersion>> {
    this.assertOpen();
    return this.searchWith(query, undefined);
  }

  /** Every resource type that has a collection here. */
  async types(): Promise<string[]> {
    const list = await this.db.listCollections({}, { nameOnly: true }).toArray();
    return list.map((c) => c.name).filter((n) => /^[A-Z][A-Za-z0-9]{0,63}$/.test(n)).sort();
  }

  async searchWith(query: StoreQuery, session: ClientSession | undefined): Promise<Page<StoredVersion>> {
    const opts = session ? { session } : {};
    if (this.inProcessSearch) {
      // The candidates of a type for one filter are read once per search, however many stages ask for them.
      const cache = new Map<string, Promise<CurrentDoc[]>>();
      const docs = (type: string, candidates: Document): Promise<CurrentDoc[]> => {
        const key = `${type} ${JSON.stringify(candidates)}`;
        let hit = cache.get(key);
        if (hit === undefined) {
          const live = { del: { $eq: false } };
          const filter = Object.keys(candidates).length === 0 ? live : { $and: [live, candidates] };
          hit = this.current(type).then((c) => c.find(filter as Filter<CurrentDoc>, opts).toArray());
          cache.set(key, hit);
        }
        return hit;
      };
      return scanPage(query.types.length > 0 ? query.types : await this.types(), docs, () => this.types(), query);
    }
    const stages = this.stages(session);
    const source: SearchSource = {
      types: async (q) => (q.types.length > 0 ? q.types : this.types()),
      filter: async (type, q) => this.liveFilter(type, q.where, stages),
      aggregate: async (type, pipeline) => (await this.current(type)).aggregate(pipeline, opts).toArray(),
      count: async (type, filter) => (await this.current(type)).countDocuments(filter as Filter<CurrentDoc>, opts),
    };
    return searchPage(source, query);
  }

  private async liveFilter(type: string, where: Clause | undefined, stages: StageRunner): Promise<Filter<Document>> {
    const live: Filter<Document> = { del: { $eq: false } };
    return where === undefined ? live : { $and: [live, await compileFilter(where, type, stages)] };
  }

  /** The inner queries of chains and `_has`. */
  private stages(session: ClientSession | undefined): StageRunner {
    const opts = session ? { session } : {};
    const stages: StageRunner = {
      types: () => this.types(),
      ids: async (type, where, limit) => {
        const coll = await this.current(type);
        const filter = await this.liveFilter(type, where, stages);
        const docs = await coll.find(filter as Filter<CurrentDoc>, { ...opts, projection: { _id: 1 }, limit: limit + 1 }).toArray();
        return docs.map((d) => d._id);
      },
      referencedIds: async (sourceType, param, targetType, where, limit) => {
        const coll = await this.current(sourceType);
        const pointing = { r: { $elemMatch: { p: { $eq: param }, tt: { $eq: targetType } } } };
        const filter = { $and: [await this.liveFilter(sourceType, where, stages), pointing] };
        const ids = new Set<string>();
        for await (const d of coll.find(filter as Filter<CurrentDoc>, { ...opts, projection: { r: 1 } })) {
          for (const r of d.r) if (r.p === param && r.tt === targetType && r.ti !== null) ids.add(r.ti);
          if (ids.size > limit) break;
        }
        return [...ids];
      },
    };
    return stages;
  }

  /**
   * A MongoDB transaction (snapshot reads, majority writes; the driver's withTransaction retries on
   * TransientTransactionError and UnknownTransactionCommitResult). Only on a replica set or mongos: elsewhere the
   * capabilities say `transactions: false`, the bundle service refuses transaction Bundles up front, and this rejects.
   * Transactions of this process run one at a time, so they do not abort each other on write conflicts.
   */
  async transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (!this.capabilities.transactions) {
      throw new Error(`multi-document transactions are not available on this ${this.server.kind} server (${this.server.topology})`);
    }
    return this.txMutex.run(async () => {
      const session = this.client.startSession();
      try {
        let result: T | undefined;
        await session.withTransaction(async (s) => {
          result = await work(new MongoView(this, s));
        }, { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' }, readPreference: 'primary' });
        return result as T;
      } finally {
        await session.endSession();
      }
    });
  }

  /**
   * Serializes check-then-write sections by key: in this process with a mutex per key, across processes with a lock
   * document (unique `_id` = the key, inserted atomically on every server; taken over after LOCK_TTL_MS if its
   * holder died).
   */
  serialized<T>(key: string, work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    this.assertOpen();
    let m = this.keyed.get(key);
    if (m === undefined) this.keyed.set(key, (m = new Mutex()));
    const mutex = m;
    const run = mutex.run(async () => {
      const locks = this.db.collection<{ _id: string; owner: string; exp: Date }>(LOCKS);
      for (let attempt = 0; ; attempt++) {
        try {
          await locks.insertOne({ _id: key, owner: this.owner, exp: new Date(Date.now() + LOCK_TTL_MS) });
          break;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          await locks.deleteOne({ _id: { $eq: key }, exp: { $lt: new Date() } });
          await sleep(Math.min(50, 2 + attempt * 2));
        }
      }
      try {
        return await work(new MongoView(this, undefined));
      } finally {
        await locks.deleteOne({ _id: { $eq: key }, owner: { $eq: this.owner } });
      }
    });
    void run.finally(() => {
      if (this.keyed.get(key) === mutex) this.keyed.delete(key);
    }).catch(() => undefined);
    return run;
  }

  /** Writes are acknowledged with `w: majority` (journaled on a replica set): nothing more to wait for. */
  sync(): undefined {
    return undefined;
  }

  /** Replaces the index arrays of versions that are still current (reindexing). */
  async replaceIndexes(entries: readonly VersionWrite[]): Promise<number> {
    this.assertOpen();
    let n = 0;
    for (const e of entries) {
      const v = e.version;
      const coll = await this.current(v.resourceType);
      const { arrays, cx } = indexArrays(e.index);
      const r = await coll.updateOne({ _id: { $eq: v.id }, vid: { $eq: v.versionId }, del: { $eq: false } }, { $set: { ...arrays, cx } });
      n += r.matchedCount;
    }
    return n;
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.db.command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the MongoDB store is closed');
  }
}

/**
 * The view handed to `transaction` (with its session: reads see the transaction's own writes) and to `serialized`
 * (without one); nested transactions and serialized sections run inline.
 */
class MongoView implements ResourceStore {
  readonly capabilities: StoreCapabilities;

  constructor(private readonly store: MongoStore, private readonly session: ClientSession | undefined) {
    this.capabilities = store.capabilities;
  }

  write(w: VersionWrite, expectedVersion: string | null): Promise<void> {
    return this.store.writeWith(w, expectedVersion, this.session);
  }

  read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    return this.store.readWith(resourceType, id, this.session);
  }

  vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    return this.store.vreadWith(resourceType, id, versionId, this.session);
  }

  history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>> {
    return this.store.history(scope, page);
  }

  search(query: StoreQuery): Promise<Page<StoredVersion>> {
    return this.store.searchWith(query, this.session);
  }

  transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    if (this.session === undefined) return this.store.transaction(work);
    return work(this);
  }

  serialized<T>(_key: string, work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    return work(this);
  }

  sync(): undefined {
    return undefined;
  }

  ping(): Promise<boolean> {
    return this.store.ping();
  }

  /** The enclosing store owns the connection. */
  async close(): Promise<void> {}
}
