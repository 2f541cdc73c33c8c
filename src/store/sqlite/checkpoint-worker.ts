/**
 * The checkpoint thread of the SQLite store (checkpointer.ts): its own connection copies committed WAL frames
 * back into the database file (a PASSIVE checkpoint, which never blocks the writer or readers) whenever more
 * than `thresholdFrames` wait, so the write connection's own automatic checkpoint finds little left to copy
 * and the main thread seldom stops for a checkpoint's copy and fsync.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointWorkerData } from './checkpointer.js';

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

const data = workerData as CheckpointWorkerData;
const db = new Database(data.file, { fileMustExist: true });
// This connection never writes pages itself; NORMAL still syncs the database file at the end of a checkpoint.
db.pragma('synchronous = NORMAL');

/** WAL frames written (`log`) and already copied back (`checkpointed`); NOOP reads them without doing any work. */
const state = (mode: 'NOOP' | 'PASSIVE'): CheckpointRow => (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0]!;

/** A few rounds at most: frames committed during one round are picked up by the next. */
const MAX_ROUNDS = 4;

const timer = setInterval(() => {
  let s = state('NOOP');
  for (let round = 0; round < MAX_ROUNDS && s.log - s.checkpointed >= data.thresholdFrames; round++) s = state('PASSIVE');
}, data.intervalMs);

parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
