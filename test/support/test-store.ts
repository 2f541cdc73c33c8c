/**
 * Which store the end-to-end tests run on. `VESTA_TEST_STORE=mongo-java-server` (or `ferretdb`) runs them on a
 * MongoDB-wire test server this process starts once (on first use) and that ends with it; `VESTA_TEST_STORE=mongodb`
 * runs them on the server of MONGODB_URI. Unset: SQLite. Each test server gets a fresh database.
 */
import { MongoStore } from '../../src/store/mongo/mongo-store.js';
import { startMongoTestServer, type MongoTestServerKind } from '../mongo-server/test-server.js';

export type TestStoreKind = 'sqlite' | 'mongodb' | MongoTestServerKind;

export function testStoreKind(): TestStoreKind {
  const v = process.env['VESTA_TEST_STORE'] ?? 'sqlite';
  if (v === 'sqlite' || v === 'mongodb' || v === 'mongo-java-server' || v === 'ferretdb') return v;
  throw new Error(`VESTA_TEST_STORE must be sqlite, mongodb, mongo-java-server or ferretdb, got ${v}`);
}

let uri: Promise<string> | undefined;
let n = 0;

/** A fresh MongoDB store for one test server (the database is left for the server to discard with its process). */
export async function openTestMongoStore(): Promise<MongoStore> {
  const kind = testStoreKind();
  if (kind === 'sqlite') throw new Error('VESTA_TEST_STORE selects SQLite');
  uri ??= kind === 'mongodb'
    ? Promise.resolve(process.env['MONGODB_URI'] ?? '').then((u) => {
      if (!u) throw new Error('VESTA_TEST_STORE=mongodb needs MONGODB_URI');
      return u;
    })
    // The server exits with this process (it watches its stdin), so no stop is needed.
    : startMongoTestServer(kind, { buildLog: () => undefined, unref: true }).then((s) => s.uri);
  return MongoStore.open({ uri: await uri, dbName: `vesta_e2e_${process.pid}_${n++}` });
}

/**
 * The environment that points a child process (the `vesta` CLI, say) at the same data as a test server's store:
 * its MongoDB database, or else the SQLite data directory.
 */
export async function storeEnv(store: object, dataDir: string): Promise<Record<string, string>> {
  if (!(store instanceof MongoStore)) return { VESTA_DATA_DIR: dataDir };
  if (uri === undefined) throw new Error('no MongoDB test server was started');
  return { VESTA_DATA_DIR: dataDir, MONGODB_URI: await uri, VESTA_MONGODB_DB: store.db.databaseName };
}

/**
 * The reason to skip an end-to-end case that needs multi-document transactions, when the store under test cannot
 * have them: the MongoDB-wire test servers are standalone (their store reports `transactions: false` and transaction
 * Bundles are refused with 501, as they should be). A real MongoDB through MONGODB_URI runs them.
 */
export const TX_SKIP: string | undefined = ((): string | undefined => {
  const kind = testStoreKind();
  return kind === 'mongo-java-server' || kind === 'ferretdb'
    ? `skipped by capability: the ${kind} test server has no multi-document transactions (the MongoDB store reports transactions: false)`
    : undefined;
})();

/** The reason to skip a case that works on the SQLite file itself (tampering with its tables, say). */
export const SQLITE_ONLY: string | undefined = testStoreKind() === 'sqlite' ? undefined : 'SQLite only: the case works on the SQLite file directly';
