/**
 * A FIFO async mutex: `run` executes callers one at a time in arrival order, so a transaction that awaits
 * between BEGIN and COMMIT keeps every other writer out of the single SQLite write connection.
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
