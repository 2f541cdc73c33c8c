/** Which MongoDB-wire server the store talks to, and what it supports (found once at open, logged, reported). */
import type { Db } from 'mongodb';

/** The server kinds the store tells apart (test/mongo-server/README.md). */
export type MongoServerKind = 'MongoDB' | 'FerretDB' | 'mongo-java-server';

/** What the store learned about the server at open. */
export interface MongoServerInfo {
  kind: MongoServerKind;
  version: string;
  /** Replica set member or mongos with sessions: multi-document transactions are available. */
  transactions: boolean;
  /** A replica set name or `mongos`, for the start-up log. */
  topology: string;
}

/**
 * Asks `buildInfo` and `isMaster` (mongo-java-server has no `hello`): FerretDB reports `ferretdbVersion`;
 * mongo-java-server has no `gitVersion` and reports `serverStatus.process === 'java'`; real MongoDB has both.
 */
export async function describeServer(db: Db): Promise<MongoServerInfo> {
  const admin = db.admin();
  const build = await admin.command({ buildInfo: 1 });
  const version = String(build['version'] ?? '');
  let kind: MongoServerKind = 'MongoDB';
  if (typeof build['ferretdbVersion'] === 'string') kind = 'FerretDB';
  else if (build['gitVersion'] === undefined) {
    const status = await admin.command({ serverStatus: 1 }).catch(() => ({} as Record<string, unknown>));
    if (status['process'] === 'java') kind = 'mongo-java-server';
  }
  const hello = await admin.command({ isMaster: 1 });
  const setName = typeof hello['setName'] === 'string' ? hello['setName'] : undefined;
  const mongos = hello['msg'] === 'isdbgrid';
  const sessions = typeof hello['logicalSessionTimeoutMinutes'] === 'number';
  // Only real MongoDB: both test servers are standalone and neither runs transactions (README of test/mongo-server).
  const transactions = kind === 'MongoDB' && sessions && (setName !== undefined || mongos);
  return { kind, version, transactions, topology: setName !== undefined ? `replica set ${setName}` : mongos ? 'mongos' : 'standalone' };
}
