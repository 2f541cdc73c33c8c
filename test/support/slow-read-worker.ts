/**
 * A stand-in read worker for ReadPool tests: answers every search with an empty page at once, except searches
 * on the type `Slow`, which block the thread (as a long SQLite statement would) until the worker is ended.
 */
import { parentPort } from 'node:worker_threads';
import type { ReadRequest } from '../../src/store/sqlite/read-protocol.js';

parentPort!.postMessage({ ready: true });
parentPort!.on('message', (text: string) => {
  if (text === 'close') return parentPort!.close();
  const req = JSON.parse(text) as ReadRequest;
  if (req.op === 'search' && req.query.types[0] === 'Slow') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  parentPort!.postMessage({ id: req.id, page: { items: [] } });
});
