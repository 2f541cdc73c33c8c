/**
 * The checkpoint thread of the SQLite store (checkpointer.ts): its own connection copies committed WAL frames
 * back into the database file (a PASSIVE checkpoint, which never blocks the writer or readers) whenever more
 * than `thresholdFrames` wait, so the write connection's own automatic checkpoint finds little left to copy
 * and the main thread seldom stops for a checkpoint's copy and fsync.
 *
 * It also keeps the WAL file small. A reader that started before the last frames were copied keeps the WAL from
 * restarting, so overlapping long reads during a write burst would let it grow to many times the database: past
 * `walLimitBytes` it restarts the WAL (restart() below), waiting briefly for those readers, so the next write starts
 * the WAL over, cut back to `journal_size_limit`. Once writes stop for `idleMs`, a TRUNCATE checkpoint empties
 * the file, so an idle server's WAL takes no space.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointWorkerData } from './checkpointer.js';

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

const data = workerData as CheckpointWorkerData;
// No busy timeout: no checkpoint here ever waits inside SQLite (restart() polls instead).
const db = new Database(data.file, { fileMustExist: true, timeout: 0 });
// This connection never writes pages itself; NORMAL still syncs the database file at the end of a checkpoint.
db.pragma('synchronous = NORMAL');

/** WAL frames written (`log`) and already copied back (`checkpointed`); NOOP reads them without doing any work. */
const state = (mode: 'NOOP' | 'PASSIVE' | 'RESTART' | 'TRUNCATE'): CheckpointRow => (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0]!;

/** A few rounds at most: frames committed during one round are picked up by the next. */
const MAX_ROUNDS = 4;
/**
 * How long a restart waits for readers older than the last commit; writers (the main thread's COMMIT among them)
 * wait meanwhile. Only a WAL past its limit pays this: a bounded stall of writes instead of an unbounded file.
 */
const RESTART_WAIT_MS = 1000;
/** How often restart() tries again while those readers finish. */
const RETRY_MS = 2;
/** After a RESTART that could not finish, writers get this long before the next try (else they could starve). */
const RESTART_BACKOFF_MS = 250;

const gate = data.gate ? new Int32Array(data.gate) : undefined;
const walFile = `${data.file}-wal`;
const walBytes = (): number => {
  try {
    return fs.statSync(walFile).size;
  } catch {
    return 0;
  }
};

/** Runs a checkpoint that needs the write lock without waiting for it or for readers; true when it finished. */
function locking(mode: 'RESTART' | 'TRUNCATE'): boolean {
  try {
    return state(mode).busy === 0;
  } catch {
    // SQLITE_BUSY or a full disk: a later try does it; the writer's own checkpoints carry on meanwhile.
    return false;
  }
}

/** Lets this thread sleep between tries (Atomics.wait on a cell nobody notifies). */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Copies every frame back and restarts the WAL, trying every RETRY_MS until `deadline`; true when it did. With the
 * writer holding its commits, the readers in the way are those that started before the copy finished: a try
 * succeeds once they have ended (readers that start afterwards see a fully copied WAL and never block a restart).
 *
 * It does not leave the waiting to SQLite's busy handler (a RESTART with a busy timeout): that reads a reader's slot
 * once and then waits for the slot to be free, which a reader ending its transaction and starting the next at once
 * (as the read workers do under load) never lets happen. Measured with two readers taking turns: a 1 s RESTART copied
 * nothing and gave up, and the writes that followed took the WAL to 17-20 times its limit. Each try here reads the
 * slots afresh; the handler's sleeps (100 ms at a time) also made every restart 100 ms longer than the reads needed.
 */
function restart(deadline: number): boolean {
  for (;;) {
    const s = state('PASSIVE'); // copies what the readers allow (nothing to do once all is copied)
    if (s.checkpointed === s.log && locking('RESTART')) return true;
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, RETRY_MS);
  }
}

let lastLog = -1;
let lastChange = Date.now();
let nextRestart = 0;
/** The WAL's frame count right after the last RESTART: until a write restarts the WAL (and cuts the file) there is nothing more to do. */
let restartedAt = -1;
const timer = setInterval(() => {
  let s = state('NOOP');
  if (s.log !== lastLog) {
    lastLog = s.log;
    lastChange = Date.now();
  }
  const size = walBytes();
  // Past the limit and not yet restarted since the last write (after a RESTART, the next write restarts the WAL and cuts
  // the file; if none comes, the idle TRUNCATE below empties it).
  if (size > data.walLimitBytes && s.log !== restartedAt) {
    // Straight to RESTART: a PASSIVE round first would let writes grow the WAL further while it copies.
    if (Date.now() >= nextRestart) {
      // Asks the writer to hold its commits back meanwhile (Checkpointer.wantsWriteLock).
      if (gate) Atomics.store(gate, 0, 1);
      try {
        if (restart(Date.now() + RESTART_WAIT_MS)) restartedAt = state('NOOP').log;
        else nextRestart = Date.now() + RESTART_BACKOFF_MS;
      } finally {
        if (gate) Atomics.store(gate, 0, 0);
      }
    }
    return;
  }
  for (let round = 0; round < MAX_ROUNDS && s.log - s.checkpointed >= data.thresholdFrames; round++) s = state('PASSIVE');
  if (size > 0 && Date.now() - lastChange >= data.idleMs) {
    // Idle: nothing waits on the write lock, so taking it for a moment costs nobody anything.
    locking('TRUNCATE');
    lastLog = -1;
  }
}, data.intervalMs);

parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
