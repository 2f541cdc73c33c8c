/**
 * Side effects that must wait until a store view's writes are committed (a SearchParameter becomes searchable
 * only once it is stored for good): a transaction that rolls back must leave nothing behind.
 */
export class AfterCommit {
  private readonly actions: (() => void)[] = [];

  /** Queues `action` for after the commit. */
  add(action: () => void): void {
    this.actions.push(action);
  }

  /** Runs the queued actions once, in order; call it only after the commit succeeded. */
  run(): void {
    for (const action of this.actions.splice(0)) action();
  }
}
