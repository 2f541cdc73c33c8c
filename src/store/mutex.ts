/**
 * A FIFO async mutex: `run` executes callers one at a time in arrival order (on SQLite, a transaction that awaits
 * between BEGIN and COMMIT keeps every other writer out of the single write connection; on MongoDB, transactions and
 * sequence blocks of one process take turns).
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier caller has finished (resolved or rejected), and returns its result. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(() => fn());
    // The chain must survive a rejected caller, so the next one still runs.
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}
