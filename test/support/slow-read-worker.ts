/**
 * A stand-in read worker for ReadPool tests: answers every search with an empty page at once, except searches
 * on the type `Slow`, which block the thread (as a long SQLite statement would) until the worker is ended, and on
 * `Pause<ms>`, which block it that long.
 */
import { parentPort } from 'node:worker_threads';
import type { ReadRequest } from '../../src/store/sqlite/read-protocol.js';

parentPort!.postMessage({ ready: true });
parentPort!.on('message', (text: string) => {
  if (text === 'close') return parentPort!.close();
  const req = JSON.parse(text) as ReadRequest;
  const type = req.op === 'search' ? req.query.types[0] : undefined;
  const pause = /^Pause(\d+)$/.exec(type ?? '');
  if (type === 'Slow') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  else if (pause) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(pause[1]));
  parentPort!.postMessage({ id: req.id, page: { rows: [] } });
});
