/**
 * A read worker thread of the SQLite store (read-pool.ts): one read-only connection that runs searches and
 * history pages sent by the main thread and posts the pages back. Only committed data is visible (WAL snapshot
 * per statement), exactly like the main thread's own read connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FhirError } from '../../fhir/outcome.js';
import { openReader } from './connection.js';
import { SqliteSession } from './sqlite-session.js';
import type { ReadReply, ReadRequest, ReadWorkerData } from './read-protocol.js';

const data = workerData as ReadWorkerData;
const session = new SqliteSession(openReader(data.file, data.cacheMiB, data.busyTimeoutMs));

function answer(req: ReadRequest): ReadReply {
  try {
    switch (req.op) {
      case 'search': return { id: req.id, page: session.search(req.query) };
      case 'history': return { id: req.id, page: session.history(req.scope, req.page) };
    }
  } catch (err) {
    if (err instanceof FhirError) return { id: req.id, fhirError: { status: err.status, outcome: err.outcome, headers: err.headers } };
    return { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort!.on('message', (req: ReadRequest | 'close') => {
  if (req === 'close') {
    session.db.close();
    parentPort!.close();
    return;
  }
  parentPort!.postMessage(answer(req));
});
