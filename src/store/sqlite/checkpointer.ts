import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** What the checkpoint worker is started with. */
export interface CheckpointWorkerData {
  file: string;
  /** Checkpoint once at least this many WAL frames have not been copied back. */
  thresholdFrames: number;
  /** How often the worker looks at the WAL, in ms. */
  intervalMs: number;
  /** After this long without new WAL frames (ms), the WAL file is truncated to nothing (if no reader is in the way). */
  idleMs: number;
  /** Longest the worker tries to restart the WAL while the writer holds its commits for it (ms). */
  maxStallMs: number;
  /** One Int32 shared with the writer: GATE_OPEN, or GATE_RESTART while the writer holds its commits for a restart. */
  gate: SharedArrayBuffer;
}

/** The gate's values (CheckpointWorkerData.gate). */
export const GATE_OPEN = 0;
export const GATE_RESTART = 1;

/**
 * Longest one restart holds writes (ms): what a read that started before it may still take for the restart to
 * succeed. A longer read defeats it, and the WAL then grows by another limit's worth before the next try (committed()).
 */
const MAX_STALL_MS = 1000;
/** The writer waits at most this long for an answer, whatever the gate says: a stuck worker cannot stall writes. */
const WRITER_WAIT_MS = 2 * MAX_STALL_MS;
/** The WAL file's header and each frame's header, in bytes (sqlite.org/fileformat.html#walformat). */
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** What the main thread gives the checkpointer. */
export interface CheckpointerOptions {
  file: string;
  thresholdFrames: number;
  intervalMs: number;
  idleMs: number;
  /** The WAL size to keep to, in bytes: a commit that takes the WAL past it has the worker restart it. */
  walLimitBytes: number;
  /**
   * WAL frames past which the writer asks for a restart anyway, when fewer than the limit's: below the writer's own
   * automatic checkpoint, so that the worker restarts the WAL before the main thread would copy and fsync.
   */
  restartFrames: number;
  /** The write connection, whose WAL frame count committed() reads. */
  writer: Database.Database;
}

/**
 * Runs WAL checkpoints on a worker thread (checkpoint-worker.ts). SQLite otherwise checkpoints inside the COMMIT
 * that crosses `wal_autocheckpoint`, on the main thread: it copies thousands of pages and fsyncs the file while
 * every request waits. With this thread copying pages as they accumulate, the writer's automatic checkpoint stays
 * on (so the WAL still restarts and stays bounded) but finds little left to do. Measured on the Synthea ingest with
 * one client: read p99 during the ingest 35–37 → 17–20 ms, throughput unchanged (3,082–3,127 resources/s). If the
 * worker fails, nothing is lost: the writer's own checkpoints carry on as before.
 *
 * Copying every frame is not enough to restart the WAL, though: the writer starts it over only if it begins a
 * transaction while every frame is copied, and under steady writes a commit always lands during the copy. The WAL
 * then grew to the writer's automatic checkpoint every cycle, whose copy and fsync ran on the main thread (measured
 * with 16 concurrent creates: 64 µs of main-thread time per create). So the writer asks for a restart from
 * `restartFrames` on, below that checkpoint: its commits wait (off the event loop) while the worker copies the
 * frames left since its last copy and restarts the WAL.
 *
 * It also keeps the WAL within its limit, which needs the writer's help: the WAL restarts only once writes have
 * paused long enough for every frame to be copied back and for each read that started before that to end. A burst
 * writes hundreds of MiB a second (measured: 90 frames a millisecond), so a worker that looked at the file every
 * 20 ms and then asked for that pause found it 1–4 times past its limit already. The writer looks after every commit
 * instead (committed(), a NOOP checkpoint: 2 µs) and, once past the limit, holds its next commits (room()) until the
 * worker has restarted the WAL or given up.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly gate = new Int32Array(new SharedArrayBuffer(4));
  private readonly frames: Database.Statement;
  private readonly limitFrames: number;
  /** The first restart of each WAL cycle is asked for past this many frames (the limit's, or fewer). */
  private readonly firstRestart: number;
  private exited = false;
  /** WAL frames at the last commit, and the count past which the next commit asks for a restart. */
  private lastLog = 0;
  private restartPast: number;
  /** When the writer last asked for a restart (ms since epoch). */
  private askedAt = 0;

  constructor(opts: CheckpointerOptions) {
    const { writer, walLimitBytes, restartFrames, ...rest } = opts;
    const data: CheckpointWorkerData = { ...rest, maxStallMs: MAX_STALL_MS, gate: this.gate.buffer as SharedArrayBuffer };
    this.frames = writer.prepare('PRAGMA wal_checkpoint(NOOP)');
    const pageSize = Number(writer.pragma('page_size', { simple: true }));
    this.limitFrames = Math.max(1, Math.floor((walLimitBytes - WAL_HEADER) / (pageSize + FRAME_HEADER)));
    this.firstRestart = Math.max(1, Math.min(this.limitFrames, Math.floor(restartFrames)));
    this.restartPast = this.firstRestart;
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: data });
    this.worker.on('error', () => undefined); // the writer's automatic checkpoints remain
    this.worker.on('exit', () => {
      this.exited = true;
      Atomics.store(this.gate, 0, GATE_OPEN);
      Atomics.notify(this.gate, 0); // a writer waiting in room() goes on
    });
  }

  /**
   * Called after each commit on the write connection: when the commit took the WAL past `restartFrames` (or, after a
   * restart that failed, past another limit's worth), asks the worker to restart it, and room() holds the writes that
   * follow until it has. Only once per limit's worth of frames: after a restart that a long read defeated, asking
   * again at every commit would stall writes for as long as that read lasts.
   */
  committed(): void {
    if (this.exited) return;
    let log: number;
    try {
      log = (this.frames.get() as { log: number }).log;
    } catch {
      return; // (SQLITE_BUSY while another connection recovers the WAL) the commit stands; the next one looks again
    }
    if (log < this.lastLog) this.restartPast = this.firstRestart; // the WAL has restarted
    this.lastLog = log;
    if (log <= this.restartPast) return;
    this.restartPast = log + this.limitFrames;
    this.askedAt = Date.now();
    Atomics.store(this.gate, 0, GATE_RESTART);
    Atomics.notify(this.gate, 0);
  }

  /**
   * Undefined when the writer may commit now; else resolves once the worker has restarted the WAL or given up
   * (within MAX_STALL_MS). The writes wait off the event loop (Atomics.waitAsync), woken the moment the worker is done.
   */
  room(): Promise<void> | undefined {
    if (this.exited || Atomics.load(this.gate, 0) === GATE_OPEN) return undefined;
    const left = this.askedAt + WRITER_WAIT_MS - Date.now();
    if (left <= 0) return undefined;
    const wait = Atomics.waitAsync(this.gate, 0, GATE_RESTART, left);
    return wait.async ? wait.value.then(() => undefined) : undefined;
  }

  /** Stops the worker and closes its connection (before the write connection closes and checkpoints last). */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
    });
  }
}
