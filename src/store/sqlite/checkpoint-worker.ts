/**
 * The checkpoint thread of the SQLite store (checkpointer.ts): its own connection copies committed WAL frames
 * back into the database file (a PASSIVE checkpoint, which never blocks the writer or readers) whenever more
 * than `thresholdFrames` wait, so the write connection's own automatic checkpoint finds little left to copy
 * and the main thread seldom stops for a checkpoint's copy and fsync.
 *
 * It also keeps the WAL file small. A reader that started before the last frames were copied keeps the WAL from
 * restarting, so overlapping long reads during a write burst would let it grow to many times the database. When a
 * commit takes the WAL past its limit, the writer holds its commits back and asks for a restart through `gate`
 * (Checkpointer.committed); this thread then copies the rest and restarts the WAL as soon as the reads older than
 * the copy have ended, so the next write starts the WAL over, cut back to `journal_size_limit` (restart() below).
 * Once writes stop for `idleMs`, a TRUNCATE checkpoint empties the file, so an idle server's WAL takes no space.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GATE_OPEN, GATE_RESTART, type CheckpointWorkerData } from './checkpointer.js';

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
/** How often restart() tries again while reads older than the copy finish (writes are held meanwhile). */
const RETRY_MS = 2;

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
 * Copies every frame back and restarts the WAL, trying every RETRY_MS until `deadline`; true when it did. The writer
 * holds its commits meanwhile, so the readers in the way are those that started before the copy finished: each
 * try ends once they have (readers that start afterwards see a fully copied WAL and never block a restart).
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

let closing = false;
let lastLog = -1;
let lastChange = Date.now();
const timer = setInterval(() => {
  let s = state('NOOP');
  if (s.log !== lastLog) {
    lastLog = s.log;
    lastChange = Date.now();
  }
  for (let round = 0; round < MAX_ROUNDS && s.log - s.checkpointed >= data.thresholdFrames; round++) s = state('PASSIVE');
  if (Date.now() - lastChange >= data.idleMs && walBytes() > 0) {
    // Idle: nothing waits on the write lock, so taking it for a moment costs nobody anything.
    locking('TRUNCATE');
    lastLog = -1;
  }
}, data.intervalMs);

/** Answers the writer's requests (GATE_RESTART) as they come: the writer is waiting, so at once, not on the next tick. */
async function answerRestarts(gate: Int32Array): Promise<void> {
  while (!closing) {
    const wait = Atomics.waitAsync(gate, 0, GATE_OPEN);
    if (wait.async) await wait.value;
    if (closing || Atomics.load(gate, 0) !== GATE_RESTART) continue;
    try {
      restart(Date.now() + data.maxStallMs);
    } catch {
      // A copy that failed (a full disk): the next request tries again; the writer's own checkpoints carry on meanwhile.
    } finally {
      // Done or given up (a read older than the copy outlasted maxStallMs): either way the writer goes on.
      Atomics.store(gate, 0, GATE_OPEN);
      Atomics.notify(gate, 0);
    }
  }
}
const gate = new Int32Array(data.gate);
void answerRestarts(gate);

parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  closing = true;
  Atomics.notify(gate, 0); // ends answerRestarts' wait
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
