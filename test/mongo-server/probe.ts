/**
 * Probes what each MongoDB-wire test server supports, through the official `mongodb` driver, and prints a
 * markdown table (not part of `npm test`):
 *
 *   npm run -s mongo-test-server:probe                      # both kinds
 *   npm run -s mongo-test-server:probe -- --kind ferretdb   # one kind
 *   npm run -s mongo-test-server:probe -- --kind mongo-java-server+h2   # mongo-java-server, H2 backend
 *   npm run -s mongo-test-server:probe -- --uri mongodb://127.0.0.1:27017/   # any running server
 *   npm run -s mongo-test-server:probe -- --json            # results as JSON
 */
import { parseArgs } from 'node:util';
import { MongoClient, MongoServerError } from 'mongodb';
import type { CollectionOptions, Db, Document, ObjectId } from 'mongodb';
import { MONGO_TEST_SERVER_KINDS, identifyMongoServer, isMongoTestServerKind, startMongoTestServer } from './test-server.js';

type Outcome = 'yes' | 'no' | 'partly';
interface Finding { outcome: Outcome; note: string }

class Wrong extends Error {}

/** A check returns a note when it worked, throws Wrong when the server answered wrongly, or any error when it failed. */
type Check = (ctx: { client: MongoClient; db: Db; uri: string }) => Promise<string | Finding>;

const CHECK_TIMEOUT_MS = 30_000;

function errText(err: unknown): string {
  if (err instanceof MongoServerError) return `${err.codeName ?? 'error'} ${err.code ?? ''}: ${err.message}`.replace(/\s+/g, ' ');
  if (err instanceof Error) return `${err.name}: ${err.message}`.replace(/\s+/g, ' ');
  return String(err);
}

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Wrong(what);
}

/** Test documents use numbers and strings as _id too. */
interface ProbeDoc { _id?: number | string | ObjectId; [field: string]: unknown }
const col = (db: Db, name: string, options?: CollectionOptions) => db.collection<ProbeDoc>(name, options);

const ids = (docs: Document[]): string => JSON.stringify(docs.map((d) => d._id));

function withUriOption(uri: string, option: string): string {
  return uri + (uri.includes('?') ? '&' : uri.endsWith('/') ? '?' : '/?') + option;
}

const CHECKS: Array<[string, Check]> = [
  ['handshake + ping', async ({ db }) => {
    const r = await db.admin().command({ ping: 1 });
    return `ok: ${r.ok}`;
  }],
  ['`hello` command', async ({ db }) => {
    const r = await db.admin().command({ hello: 1 });
    const fields = ['isWritablePrimary', 'setName', 'msg', 'maxWireVersion', 'logicalSessionTimeoutMinutes', 'maxWriteBatchSize'];
    return fields.map((f) => `${f}=${JSON.stringify(r[f])}`).join(', ');
  }],
  ['`ismaster` (legacy) command', async ({ db }) => {
    const r = await db.admin().command({ ismaster: 1 });
    const fields = ['ismaster', 'setName', 'msg', 'maxWireVersion', 'logicalSessionTimeoutMinutes', 'maxWriteBatchSize'];
    return fields.map((f) => `${f}=${JSON.stringify(r[f])}`).join(', ');
  }],
  ['`buildInfo`', async ({ db }) => {
    const r = await db.admin().command({ buildInfo: 1 });
    return Object.keys(r).filter((k) => k !== 'ok').map((k) => {
      const v = JSON.stringify(r[k]);
      return `${k}=${v !== undefined && v.length > 40 ? `${v.slice(0, 37)}...` : v}`;
    }).join(', ');
  }],
  ['`serverStatus.process`', async ({ db }) => {
    const r = await db.admin().command({ serverStatus: 1 });
    return `process=${JSON.stringify(r.process)}, version=${JSON.stringify(r.version)}`;
  }],
  ['identifyMongoServer()', async ({ db }) => {
    const id = await identifyMongoServer(db);
    return `${id.identity} ${id.version}${id.ferretdbVersion ? ` (FerretDB ${id.ferretdbVersion})` : ''}`;
  }],
  ['insertOne + find', async ({ db }) => {
    const c = col(db, 't');
    const doc = { _id: 'a', n: 1, nested: { s: 'x', d: new Date('2020-01-02T03:04:05Z') }, arr: [1, 2, 3] };
    await c.insertOne(doc);
    const back = await c.findOne({ _id: 'a' });
    expect(JSON.stringify(back) === JSON.stringify(doc), `read back ${JSON.stringify(back)}`);
    const all = await c.find({ 'nested.s': 'x' }).toArray();
    expect(all.length === 1, `dotted-path find found ${all.length}`);
    return 'round trip equal, dotted-path filter';
  }],
  ['unique index, duplicate -> 11000', async ({ db }) => {
    const c = col(db, 'u');
    await c.createIndex({ k: 1 }, { unique: true });
    await c.insertOne({ k: 1 });
    try {
      await c.insertOne({ k: 1 });
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) return `code 11000 (${err.message.slice(0, 60)})`;
      throw new Wrong(`other error: ${errText(err)}`);
    }
    throw new Wrong('duplicate accepted');
  }],
  ['unique compound index', async ({ db }) => {
    const c = col(db, 'uc');
    await c.createIndex({ type: 1, id: 1 }, { unique: true });
    await c.insertMany([{ type: 'Patient', id: '1' }, { type: 'Observation', id: '1' }]);
    try {
      await c.insertOne({ type: 'Patient', id: '1' });
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) return 'code 11000';
      throw new Wrong(`other error: ${errText(err)}`);
    }
    throw new Wrong('duplicate accepted');
  }],
  ['unique partial index (partialFilterExpression)', async ({ db }) => {
    const c = col(db, 'up');
    await c.createIndex({ k: 1 }, { unique: true, partialFilterExpression: { current: true } });
    try {
      await c.insertMany([{ k: 1, current: false }, { k: 1, current: false }, { k: 1, current: true }]);
    } catch (err) {
      throw new Wrong(`index created, but duplicates outside the filter rejected (filter ignored): ${errText(err)}`);
    }
    try {
      await c.insertOne({ k: 1, current: true });
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) return 'duplicates only outside the filter';
      throw new Wrong(`other error: ${errText(err)}`);
    }
    throw new Wrong('second current:true duplicate accepted (partial filter ignored for uniqueness?)');
  }],
  ['findOneAndUpdate on version field (compare-and-set)', async ({ db }) => {
    const c = col(db, 'cas');
    await c.insertOne({ _id: 'r', ver: 1, v: 'a' });
    const first = await c.findOneAndUpdate({ _id: 'r', ver: 1 }, { $set: { ver: 2, v: 'b' } }, { returnDocument: 'after' });
    expect(first?.ver === 2, `first update returned ${JSON.stringify(first)}`);
    const stale = await c.findOneAndUpdate({ _id: 'r', ver: 1 }, { $set: { ver: 2, v: 'c' } }, { returnDocument: 'after' });
    expect(stale === null, `stale update returned ${JSON.stringify(stale)}`);
    const now = await c.findOne({ _id: 'r' });
    expect(now?.v === 'b', `final ${JSON.stringify(now)}`);
    return 'match -> updated doc, stale version -> null';
  }],
  ['concurrent compare-and-set (8 writers x 100 rounds)', async ({ db }) => {
    const c = col(db, 'cas2');
    const rounds = 100;
    const writers = 8;
    let doubleWins = 0;
    let noWins = 0;
    for (let r = 0; r < rounds; r++) {
      await c.insertOne({ _id: r, ver: 0 });
      const results = await Promise.all(Array.from({ length: writers }, (_, w) =>
        c.findOneAndUpdate({ _id: r, ver: 0 }, { $set: { ver: 1, by: w } }, { returnDocument: 'after' })));
      const wins = results.filter((x) => x !== null).length;
      if (wins > 1) doubleWins++;
      if (wins === 0) noWins++;
    }
    if (doubleWins > 0 || noWins > 0) {
      return { outcome: 'no', note: `rounds with >1 winner: ${doubleWins}/${rounds}, with none: ${noWins}/${rounds}` };
    }
    return `exactly one winner in each of ${rounds} rounds`;
  }],
  ['concurrent $inc (8 x 25 on one doc)', async ({ db }) => {
    const c = db.collection<{ _id: string; n: number }>('inc');
    await c.insertOne({ _id: 'x', n: 0 });
    const per = 25;
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < per; i++) await c.updateOne({ _id: 'x' }, { $inc: { n: 1 } });
    }));
    const doc = await c.findOne({ _id: 'x' });
    if (doc?.n !== 8 * per) return { outcome: 'no', note: `n=${doc?.n}, expected ${8 * per} (lost updates)` };
    return `n=${doc.n}`;
  }],
  ['$elemMatch with field names (subdocuments)', async ({ db }) => {
    const c = col(db, 'em');
    await c.insertMany([
      { _id: 1, idx: [{ p: 'family', v: 'smith' }, { p: 'given', v: 'john' }] },
      { _id: 2, idx: [{ p: 'family', v: 'jones' }, { p: 'given', v: 'smithers' }] },
      { _id: 3, idx: [{ p: 'given', v: 'smithy' }] },
    ]);
    const found = await c.find({ idx: { $elemMatch: { p: 'family', v: { $regex: '^smi' } } } }).sort({ _id: 1 }).toArray();
    expect(ids(found) === '[1]', `found ${ids(found)}, expected [1]`);
    return 'found exactly the matching document';
  }],
  ['$elemMatch on scalars ($gte/$lt)', async ({ db }) => {
    const c = col(db, 'ems');
    await c.insertMany([{ _id: 1, a: [1, 10] }, { _id: 2, a: [5] }]);
    const found = await c.find({ a: { $elemMatch: { $gte: 4, $lt: 6 } } }).toArray();
    expect(ids(found) === '[2]', `found ${ids(found)}, expected [2]`);
    return 'ok';
  }],
  ['dotted path into array of subdocuments', async ({ db }) => {
    const c = col(db, 'dp');
    await c.insertMany([
      { _id: 1, idx: [{ p: 'family', v: 'smith' }] },
      { _id: 2, idx: [{ p: 'given', v: 'smith' }] },
    ]);
    const found = await c.find({ 'idx.p': 'family' }).toArray();
    expect(ids(found) === '[1]', `found ${ids(found)}`);
    return "{'idx.p': 'family'} ok";
  }],
  ['$in on array field', async ({ db }) => {
    const c = col(db, 'in');
    await c.insertMany([
      { _id: 1, tags: ['a', 'b'] }, { _id: 2, tags: ['c'] }, { _id: 3, tags: 'x' },
    ]);
    const found = await c.find({ tags: { $in: ['b', 'x'] } }).sort({ _id: 1 }).toArray();
    expect(ids(found) === '[1,3]', `found ${ids(found)}, expected [1,3]`);
    const all = await c.find({ tags: { $all: ['a', 'b'] } }).toArray();
    expect(ids(all) === '[1]', `$all found ${ids(all)}`);
    return '$in and $all ok';
  }],
  ['$regex anchored prefix (+ i flag)', async ({ db }) => {
    const c = col(db, 're');
    await c.insertMany([{ _id: 1, s: 'Smith' }, { _id: 2, s: 'Blacksmith' }, { _id: 3, s: 'smithers' }]);
    const cs = await c.find({ s: { $regex: '^Smi' } }).sort({ _id: 1 }).toArray();
    expect(ids(cs) === '[1]', `case-sensitive found ${ids(cs)}`);
    const ci = await c.find({ s: { $regex: '^smi', $options: 'i' } }).sort({ _id: 1 }).toArray();
    expect(ids(ci) === '[1,3]', `case-insensitive found ${ids(ci)}`);
    const lit = await c.find({ s: /^smi/i }).sort({ _id: 1 }).toArray();
    expect(ids(lit) === '[1,3]', `RegExp literal found ${ids(lit)}`);
    return 'string, $options and RegExp forms';
  }],
  ['compound + multikey indexes (createIndex, listIndexes)', async ({ db }) => {
    const c = col(db, 'ix');
    await c.insertOne({ a: 1, b: 2, idx: [{ p: 'x', v: 'y' }], tags: ['t1', 't2'] });
    const names = [
      await c.createIndex({ a: 1, b: -1 }),
      await c.createIndex({ 'idx.p': 1, 'idx.v': 1 }),
      await c.createIndex({ tags: 1 }),
    ];
    const listed = (await c.listIndexes().toArray()).map((i) => `${i.name}${i.unique ? '(unique)' : ''}`);
    const missing = names.filter((n) => !listed.includes(n));
    expect(missing.length === 0, `missing from listIndexes: ${missing.join(', ')}; listed ${listed.join(', ')}`);
    const hinted = await c.find({ a: 1 }).hint({ a: 1, b: -1 }).toArray();
    expect(hinted.length === 1, `hinted find found ${hinted.length}`);
    return `listed: ${listed.join(', ')}; hint() ok`;
  }],
  ['index with collation (case-insensitive)', async ({ db }) => {
    const c = col(db, 'coll');
    await c.createIndex({ s: 1 }, { collation: { locale: 'en', strength: 2 } });
    await c.insertMany([{ s: 'ABC' }, { s: 'abc' }]);
    const found = await c.find({ s: 'abc' }).collation({ locale: 'en', strength: 2 }).toArray();
    expect(found.length === 2, `collated find found ${found.length}`);
    return 'ok';
  }],
  ['sort on several keys + skip/limit', async ({ db }) => {
    const c = col(db, 'so');
    await c.insertMany([
      { _id: 1, a: 1, b: 'x' }, { _id: 2, a: 2, b: 'a' },
      { _id: 3, a: 1, b: 'z' }, { _id: 4, a: 2, b: 'b' }, { _id: 5, b: 'm' },
    ]);
    const sorted = await c.find({}).sort({ a: -1, b: 1 }).toArray();
    expect(ids(sorted) === '[2,4,1,3,5]', `sorted ${ids(sorted)}`);
    const page = await c.find({}).sort({ a: 1, b: -1 }).skip(1).limit(2).toArray();
    expect(ids(page) === '[3,1]', `page ${ids(page)}, expected [3,1] (missing sorts first)`);
    return 'ok (missing field sorts lowest)';
  }],
  ['$lookup', async ({ db }) => {
    await col(db, 'lp').insertMany([{ _id: 'p1', name: 'x' }]);
    await col(db, 'lo').insertMany([{ _id: 'o1', subject: 'p1' }, { _id: 'o2', subject: 'p1' }]);
    const out = await col(db, 'lp').aggregate([
      { $lookup: { from: 'lo', localField: '_id', foreignField: 'subject', as: 'obs' } },
    ]).toArray();
    expect(out.length === 1 && (out[0]!.obs as unknown[]).length === 2, `got ${JSON.stringify(out)}`);
    return 'ok';
  }],
  ['$facet', async ({ db }) => {
    const c = col(db, 'fa');
    await c.insertMany([{ t: 'a' }, { t: 'a' }, { t: 'b' }]);
    const out = await c.aggregate([
      { $facet: { total: [{ $count: 'n' }], page: [{ $sort: { t: 1 } }, { $limit: 2 }] } },
    ]).toArray();
    const total = (out[0]?.total as Array<{ n: number }> | undefined)?.[0]?.n;
    expect(total === 3 && (out[0]!.page as unknown[]).length === 2, `got ${JSON.stringify(out)}`);
    return 'ok';
  }],
  ['aggregate $match/$group/$sort/$limit', async ({ db }) => {
    const c = col(db, 'ag');
    await c.insertMany([{ t: 'a', n: 1 }, { t: 'a', n: 2 }, { t: 'b', n: 5 }]);
    const out = await c.aggregate([{ $match: { n: { $gte: 1 } } }, { $group: { _id: '$t', s: { $sum: '$n' } } }, { $sort: { s: -1 } }, { $limit: 1 }]).toArray();
    expect(out.length === 1 && out[0]!._id === 'b' && out[0]!.s === 5, `got ${JSON.stringify(out)}`);
    return 'ok';
  }],
  ['countDocuments / estimatedDocumentCount / distinct', async ({ db }) => {
    const c = col(db, 'cd');
    await c.insertMany([{ t: 'a' }, { t: 'a' }, { t: 'b' }]);
    const n = await c.countDocuments({ t: 'a' });
    const e = await c.estimatedDocumentCount();
    const d = (await c.distinct('t')).sort();
    expect(n === 2 && e === 3 && JSON.stringify(d) === '["a","b"]', `count ${n}, estimated ${e}, distinct ${JSON.stringify(d)}`);
    return 'ok';
  }],
  ['replaceOne upsert / $setOnInsert', async ({ db }) => {
    const c = col(db, 'ups');
    const r1 = await c.replaceOne({ _id: 'k' }, { v: 1 }, { upsert: true });
    const r2 = await c.updateOne({ _id: 'j' }, { $set: { v: 2 }, $setOnInsert: { created: true } }, { upsert: true });
    const docs = await c.find({}).sort({ _id: 1 }).toArray();
    expect(r1.upsertedCount === 1 && r2.upsertedCount === 1 && docs.length === 2 && docs[0]!.created === true, `got ${JSON.stringify(docs)}`);
    return 'ok';
  }],
  ['bulkWrite ordered (stops at duplicate)', async ({ db }) => {
    const c = col(db, 'bo');
    const ops = [1, 2, 2, 3].map((i) => ({ insertOne: { document: { _id: i } } }));
    try {
      await c.bulkWrite(ops, { ordered: true });
    } catch (err) {
      const inserted = await c.countDocuments({});
      const code = (err as { code?: unknown }).code;
      expect(inserted === 2, `ordered: ${inserted} inserted, expected 2 (${errText(err)})`);
      return `error code ${String(code)}, 2 inserted before it`;
    }
    throw new Wrong('no error for the duplicate');
  }],
  ['bulkWrite unordered (continues past duplicate)', async ({ db }) => {
    const c = col(db, 'bu');
    const ops = [1, 2, 2, 3].map((i) => ({ insertOne: { document: { _id: i } } }));
    try {
      await c.bulkWrite(ops, { ordered: false });
    } catch (err) {
      const inserted = await c.countDocuments({});
      expect(inserted === 3, `unordered: ${inserted} inserted, expected 3 (${errText(err)})`);
      return `error code ${String((err as { code?: unknown }).code)}, 3 inserted`;
    }
    throw new Wrong('no error for the duplicate');
  }],
  ['explicit session (startSession + find)', async ({ client, db }) => {
    const session = client.startSession();
    try {
      await col(db, 'se').insertOne({ a: 1 }, { session });
      const n = await col(db, 'se').countDocuments({}, { session });
      return `works (${n} doc)`;
    } finally {
      await session.endSession();
    }
  }],
  ['withTransaction', async ({ client, db }) => {
    await db.createCollection('tx');
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await col(db, 'tx').insertOne({ a: 1 }, { session });
        await col(db, 'tx').insertOne({ a: 2 }, { session });
      });
      return { outcome: 'yes', note: 'committed' };
    } finally {
      await session.endSession();
    }
  }],
  ['retryWrites=true in the URI', async ({ uri, db }) => {
    const c2 = new MongoClient(withUriOption(uri, 'retryWrites=true'), { serverSelectionTimeoutMS: 5000 });
    try {
      await col(c2.db(db.databaseName), 'rw').insertOne({ a: 1 });
      await col(c2.db(db.databaseName), 'rw').updateOne({ a: 1 }, { $set: { b: 1 } });
      return 'no driver error (standalone: writes are not retried)';
    } finally {
      await c2.close();
    }
  }],
  ["writeConcern {w: 'majority', j: true}", async ({ db }) => {
    const c = col(db, 'wc', { writeConcern: { w: 'majority', journal: true } });
    await c.insertOne({ a: 1 });
    await c.updateOne({ a: 1 }, { $set: { b: 1 } });
    return 'accepted';
  }],
  ['readConcern majority', async ({ db }) => {
    const c = col(db, 'rc', { readConcern: { level: 'majority' } });
    await col(db, 'rc').insertOne({ a: 1 });
    const n = (await c.find({}).toArray()).length;
    return `accepted (${n} doc)`;
  }],
  ['dropDatabase', async ({ client, db }) => {
    const other = client.db(`${db.databaseName}_drop`);
    await other.collection('x').insertOne({ a: 1 });
    await other.dropDatabase();
    const left = await other.collection('x').countDocuments({});
    expect(left === 0, `${left} left`);
    return 'ok';
  }],
];

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(uri: string, log: (line: string) => void): Promise<Map<string, Finding>> {
  const results = new Map<string, Finding>();
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, maxPoolSize: 16 });
  await client.connect();
  try {
    let n = 0;
    for (const [name, check] of CHECKS) {
      const db = client.db(`vesta_probe_${Date.now().toString(36)}_${n++}`);
      let finding: Finding;
      try {
        const r = await withTimeout(check({ client, db, uri }), CHECK_TIMEOUT_MS);
        finding = typeof r === 'string' ? { outcome: 'yes', note: r } : r;
      } catch (err) {
        finding = { outcome: 'no', note: err instanceof Wrong ? `wrong result: ${err.message}` : errText(err) };
      }
      await db.dropDatabase().catch(() => undefined);
      results.set(name, finding);
      log(`${name}: ${finding.outcome} ${finding.note}`);
    }
  } finally {
    await client.close();
  }
  return results;
}

const cell = (f: Finding | undefined): string => {
  if (!f) return '';
  const note = f.note.replace(/\|/g, '\\|');
  return `**${f.outcome}**${note ? ` ${note.length > 200 ? `${note.slice(0, 197)}...` : note}` : ''}`;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { kind: { type: 'string', multiple: true }, uri: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' } },
    strict: true,
  });
  const log = values.quiet ? (): void => undefined : (line: string): void => void process.stderr.write(`${line}\n`);
  const columns: Array<[string, Map<string, Finding>]> = [];
  if (values.uri) {
    columns.push([values.uri, await probe(values.uri, log)]);
  } else {
    const kinds = values.kind ?? [...MONGO_TEST_SERVER_KINDS];
    for (const label of kinds) {
      // "mongo-java-server+h2" probes mongo-java-server with its H2 backend.
      const [kind = '', backend] = label.split('+');
      if (!isMongoTestServerKind(kind) || (backend !== undefined && backend !== 'h2' && backend !== 'memory')) {
        throw new Error(`unknown kind ${label}`);
      }
      log(`--- ${label}`);
      const started = Date.now();
      const server = await startMongoTestServer(kind, backend ? { backend } : {});
      log(`${kind} answered ping at ${server.uri} after ${Date.now() - started} ms`);
      try {
        columns.push([label, await probe(server.uri, log)]);
      } finally {
        await server.stop();
      }
    }
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(columns.map(([k, m]) => [k, Object.fromEntries(m)])), null, 2)}\n`);
    return;
  }
  const lines = [
    `| check | ${columns.map(([k]) => k).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    ...CHECKS.map(([name]) => `| ${name} | ${columns.map(([, m]) => cell(m.get(name))).join(' | ')} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`probe: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
