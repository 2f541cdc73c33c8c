import fs from 'node:fs';

/**
 * Makes committed WAL frames durable without blocking the event loop. SQLite's `synchronous=FULL` fsyncs the
 * WAL inside COMMIT, on the calling (main) thread; instead the store commits with `synchronous=NORMAL` (frames
 * reach the OS, consistency is unchanged) and calls `sync()` before acknowledging, which fsyncs the `-wal`
 * file on libuv's thread pool. Concurrent callers share syncs: a caller waits for the first fsync that
 * started after it asked, so every frame committed before the call is on disk when its promise resolves.
 */
export class WalSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly walPath: string) {}

  /** Resolves once everything committed before this call is on stable storage. */
  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.fsyncOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // The running fsync may have started before our frames were written: wait for one that starts after it.
    this.queued ??= this.running.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.sync();
    });
    return this.queued;
  }

  /** Closes the file descriptor (the WAL itself belongs to SQLite). */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private fsyncOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        // SQLite creates the WAL on the first write and keeps the same file while connections are open.
        this.fd ??= fs.openSync(this.walPath, 'r');
      } catch (err) {
        reject(err);
        return;
      }
      fs.fsync(this.fd, (err) => (err ? reject(err) : resolve()));
    });
  }
}
