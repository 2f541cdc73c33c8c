/**
 * A read worker thread of the SQLite store (read-pool.ts): one read-only connection that runs searches and
 * history pages sent by the main thread and posts the pages back. Only committed data is visible (WAL snapshot
 * per statement), exactly like the main thread's own read connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FhirError } from '../../fhir/outcome.js';
import { openReader } from './connection.js';
import { prewarm } from './prewarm.js';
import { SqliteSession } from './sqlite-session.js';
import { packPage } from './read-protocol.js';
import type { ReadReply, ReadRequest, ReadWorkerData, ReadWorkerReady } from './read-protocol.js';

const data = workerData as ReadWorkerData;
// No memory map: pages read through a map live in the OS page cache, which may be reclaimed under us, and are
// never kept in the connection's own cache.
const session = new SqliteSession(openReader(data.file, data.cacheMiB, data.busyTimeoutMs, false));
const ready: ReadWorkerReady = { ready: true };
if (data.prewarm) ready.warmed = prewarm(session.db, data.cacheMiB * 1024 * 1024);
parentPort!.postMessage(ready);

function answer(req: ReadRequest): ReadReply {
  try {
    switch (req.op) {
      case 'search': return { id: req.id, page: packPage(session.search(req.query)) };
      case 'history': return { id: req.id, page: packPage(session.history(req.scope, req.page)) };
    }
  } catch (err) {
    if (err instanceof FhirError) return { id: req.id, fhirError: { status: err.status, outcome: err.outcome, headers: err.headers } };
    return { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort!.on('message', (text: string) => {
  if (text === 'close') {
    session.db.close();
    parentPort!.close();
    return;
  }
  parentPort!.postMessage(answer(JSON.parse(text) as ReadRequest));
});
