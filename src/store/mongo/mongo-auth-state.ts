import type { Collection } from 'mongodb';
import type { AuthRecord, AuthStateStore } from '../auth-state.js';

/** One auth record as stored: `_id` = [kind, id] as JSON text (unique per kind and id), the value as JSON text. */
interface AuthDoc {
  _id: string;
  kind: string;
  id: string;
  value: string;
  exp: number | null;
}

function toRecord<T>(d: AuthDoc): AuthRecord<T> {
  const r: AuthRecord<T> = { kind: d.kind, id: d.id, value: JSON.parse(d.value) as T };
  if (d.exp !== null) r.expiresAt = d.exp;
  return r;
}

const keyOf = (kind: string, id: string): string => JSON.stringify([kind, id]);
const live = (now: number) => ({ $or: [{ exp: { $eq: null } }, { exp: { $gt: now } }] });

/**
 * The auth state (store/auth-state.ts) in the MongoDB collection `vesta_auth_state`. Each method is one
 * single-document operation (atomic on every MongoDB-wire server), acknowledged with the store's write concern.
 */
export class MongoAuthState implements AuthStateStore {
  constructor(private readonly coll: Collection<AuthDoc>) {}

  async get<T>(kind: string, id: string): Promise<AuthRecord<T> | undefined> {
    const d = await this.coll.findOne({ _id: { $eq: keyOf(kind, id) }, ...live(Date.now()) });
    return d === null ? undefined : toRecord<T>(d);
  }

  async has(kind: string, id: string): Promise<boolean> {
    return (await this.coll.findOne({ _id: { $eq: keyOf(kind, id) }, ...live(Date.now()) }, { projection: { _id: 1 } })) !== null;
  }

  async list<T>(kind: string): Promise<AuthRecord<T>[]> {
    const docs = await this.coll.find({ kind: { $eq: kind }, ...live(Date.now()) }).sort({ id: 1 }).toArray();
    return docs.map((d) => toRecord<T>(d));
  }

  async put<T>(r: AuthRecord<T>): Promise<void> {
    const doc: AuthDoc = { _id: keyOf(r.kind, r.id), kind: r.kind, id: r.id, value: JSON.stringify(r.value), exp: r.expiresAt ?? null };
    await this.coll.replaceOne({ _id: { $eq: doc._id } }, doc, { upsert: true });
  }

  /** The unique `_id` makes the insert the atomic check (an expired record with the same id is removed first). */
  async insert<T>(r: AuthRecord<T>): Promise<boolean> {
    const doc: AuthDoc = { _id: keyOf(r.kind, r.id), kind: r.kind, id: r.id, value: JSON.stringify(r.value), exp: r.expiresAt ?? null };
    await this.coll.deleteOne({ _id: { $eq: doc._id }, exp: { $ne: null, $lte: Date.now() } });
    try {
      await this.coll.insertOne(doc);
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 11000) return false;
      throw err;
    }
  }

  /** `findOneAndDelete` hands the record to one caller only. */
  async take<T>(kind: string, id: string): Promise<AuthRecord<T> | undefined> {
    const d = await this.coll.findOneAndDelete({ _id: { $eq: keyOf(kind, id) } });
    if (d === null || (d.exp !== null && d.exp <= Date.now())) return undefined;
    return toRecord<T>(d);
  }

  async delete(kind: string, id: string): Promise<void> {
    await this.coll.deleteOne({ _id: { $eq: keyOf(kind, id) } });
  }

  async purgeExpired(now: number = Date.now()): Promise<number> {
    return (await this.coll.deleteMany({ exp: { $ne: null, $lte: now } })).deletedCount;
  }
}
