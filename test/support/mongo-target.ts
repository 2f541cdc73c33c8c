/**
 * Where the MongoDB suites run: the server named by MONGODB_URI (any MongoDB, a real replica set included), or a
 * MongoDB-wire test server of the given kind that the test starts itself (test/mongo-server). When the test server
 * cannot be built here (no Java/Maven or Go), the suites are skipped with that reason instead of failing.
 */
import { MongoClient } from 'mongodb';
import { MongoStore } from '../../src/store/mongo/mongo-store.js';
import type { StoreCapabilities } from '../../src/store/port.js';
import { startMongoTestServer, type MongoTestServerKind } from '../mongo-server/test-server.js';

/** A server to test against, the capabilities a store on it reports, and how to fresh stores and clean up. */
export interface MongoTarget {
  label: string;
  uri: string;
  capabilities: StoreCapabilities;
  /** A fresh, empty store in a database of its own. */
  makeStore(): Promise<MongoStore>;
  /** Drops the databases the stores used and stops a server this process started. */
  stop(): Promise<void>;
}

/** Starts (or finds, through MONGODB_URI) a server; returns the reason to skip when none can be had. */
export async function openMongoTarget(kind: MongoTestServerKind, purpose: string): Promise<MongoTarget | string> {
  const fromEnv = process.env['MONGODB_URI'];
  let uri: string;
  let label: string;
  let stopServer: () => Promise<void> = async () => undefined;
  if (fromEnv) {
    uri = fromEnv;
    label = 'MONGODB_URI';
  } else {
    try {
      const server = await startMongoTestServer(kind, { buildLog: () => undefined });
      uri = server.uri;
      label = kind;
      stopServer = () => server.stop();
    } catch (err) {
      return `the ${kind} test server could not be started here (${(err as Error).message.split('\n')[0]}); ` +
        'install its build tools (test/mongo-server/README.md) or set MONGODB_URI to run the MongoDB suites';
    }
  }
  const prefix = `vesta_test_${purpose}_${process.pid}_`;
  const probe = await MongoStore.open({ uri, dbName: `${prefix}probe` });
  const capabilities = probe.capabilities;
  label = `${label}: ${probe.server.kind} ${probe.server.version}, ${probe.server.topology}`;
  await probe.close();
  let n = 0;
  return {
    label, uri, capabilities,
    makeStore: () => MongoStore.open({ uri, dbName: `${prefix}${n++}` }),
    stop: async () => {
      const client = new MongoClient(uri);
      try {
        const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
        for (const d of databases) if (d.name.startsWith(prefix)) await client.db(d.name).dropDatabase();
      } finally {
        await client.close();
        await stopServer();
      }
    },
  };
}
