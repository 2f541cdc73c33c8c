import type { Config } from '../config.js';
import type { AuthStateStore } from './auth-state.js';
import type { AuditTrail } from './audit-trail.js';
import type { ResourceStore } from './port.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { MongoStore } from './mongo/mongo-store.js';

/** A store chosen from the configuration, with what start-up needs to know about it. */
export interface OpenedStore {
  store: ResourceStore;
  /** The authorization state, in the same store. */
  authState: AuthStateStore;
  /** The audit trail, in the same store. */
  auditTrail: AuditTrail;
  /** Resolves when the store is ready to answer at full speed (SQLite: read workers open and warm). */
  ready(): Promise<{ warmedBytes: number; ms: number }>;
  /** What to log about the store at start (never credentials). */
  description: Record<string, unknown>;
}

/** How the store is used: the server runs the background helpers (read workers, checkpoints); CLI tools do not. */
export type StoreRole = 'server' | 'tool';

/** Receives what a store logs while opening (PHI-free, credential-free). */
export type StoreLog = (msg: string, meta: Record<string, unknown>) => void;

/**
 * Opens the store the configuration names (DESIGN principle 9: chosen once, in the composition root): MongoDB when
 * `MONGODB_URI` is set, else the embedded SQLite file.
 */
export async function openStore(config: Config, role: StoreRole, log: StoreLog = () => undefined): Promise<OpenedStore> {
  switch (config.store) {
    case 'mongodb': {
      const m = config.mongodb;
      if (m === undefined) throw new Error('the MongoDB store needs MONGODB_URI');
      const store = await MongoStore.open({ uri: m.uri, dbName: m.dbName, log });
      return {
        store,
        authState: store.authState(),
        auditTrail: store.auditTrail(),
        ready: async () => ({ warmedBytes: 0, ms: 0 }),
        // The server kind and database, never the URI (it may carry credentials).
        description: {
          store: 'mongodb', server: store.server.kind, serverVersion: store.server.version, topology: store.server.topology,
          database: m.dbName, transactions: store.capabilities.transactions,
        },
      };
    }
    case 'sqlite': {
      const s = config.sqlite;
      const server = role === 'server';
      const store = SqliteStore.open({
        dataDir: config.dataDir, synchronous: s.sync, readCacheMiB: s.cacheMiB,
        readWorkers: server ? s.readWorkers : 0, readTimeoutMs: config.searchTimeoutMs, prewarm: server && s.prewarm, checkpointWorker: server,
        walLimitMiB: s.walLimitMiB, ...(s.maxMiB !== undefined ? { maxMiB: s.maxMiB } : {}),
      });
      return {
        store,
        authState: store.authState(),
        auditTrail: store.auditTrail(),
        ready: async () => {
          const warm = await store.ready();
          return { warmedBytes: warm.bytes, ms: warm.ms };
        },
        description: { store: 'sqlite', dataDir: config.dataDir, readWorkers: server ? s.readWorkers : 0 },
      };
    }
  }
}
