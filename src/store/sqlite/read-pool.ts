import { Worker } from 'node:worker_threads';
import { FhirError, badRequest } from '../../fhir/outcome.js';
import type { HistoryScope, Page, PageRequest, StoredVersion } from '../port.js';
import type { StoreQuery } from '../../vocabulary/plan.js';
import { unpackPage } from './read-protocol.js';
import type { ReadReply, ReadRequest, ReadWorkerData, ReadWorkerReady } from './read-protocol.js';

type Pending = {
  resolve: (page: Page<StoredVersion>) => void;
  reject: (err: unknown) => void;
  /** The request as sent, so a request queued behind one that ran out of time can be sent to the replacement. */
  text: string;
  /** When the request began to run against the time budget (performance.now()), once first in its worker's queue. */
  since?: number;
};

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Settles with the worker's first message (its connection is open and, when asked, warm). */
  ready: Promise<ReadWorkerReady>;
  started: boolean;
  exited: boolean;
  /**
   * The worker's one budget timer, running while it has requests. Not a timer per request: setting and clearing one
   * cost more than a simple search's own JavaScript. When it fires before the running request's budget is spent (that
   * request began later), it waits out the rest.
   */
  watchdog?: NodeJS.Timeout;
}

/** Distributive Omit, so each member of the request union keeps its own fields. */
type RequestBody = ReadRequest extends infer R ? (R extends ReadRequest ? Omit<R, 'id'> : never) : never;

/**
 * Worker threads, each with its own read-only SQLite connection, that run searches and history pages.
 *
 * Why: better-sqlite3 is synchronous, so on the main thread every search holds the event loop for its whole
 * SQL time, and a page read from disk stalls every other request. In workers, searches use the other cores,
 * a cold read waits alone, and the main thread keeps to HTTP. Reads by id stay on the main thread: they cost
 * less than a message round trip. Each request goes to the worker with the fewest in flight.
 */
export class ReadPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;
  private readonly inflight = new Set<Promise<unknown>>();

  /**
   * @param timeoutMs the time budget of one request: a worker still busy with a request after it is ended and
   * replaced (SQLite statements cannot be interrupted from outside in better-sqlite3), the request answers 400
   * too-costly, and the requests queued behind it go to the replacement. Undefined: no budget.
   */
  constructor(
    private readonly data: ReadWorkerData, size: number, private readonly timeoutMs?: number,
    private readonly workerUrl: URL = new URL('./read-worker.js', import.meta.url),
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /**
   * Resolves once every worker has opened its connection (and warmed its cache, when asked) with the bytes
   * warmed in all; requests sent before simply wait in the worker's queue.
   */
  async ready(): Promise<{ bytes: number; ms: number }> {
    const reports = await Promise.all(this.slots.map((s) => s.ready));
    return {
      bytes: reports.reduce((sum, r) => sum + (r.warmed?.bytes ?? 0), 0),
      ms: Math.max(0, ...reports.map((r) => r.warmed?.ms ?? 0)),
    };
  }

  search(query: StoreQuery): Promise<Page<StoredVersion>> {
    return this.send({ op: 'search', query });
  }

  history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>> {
    return this.send({ op: 'history', scope, page });
  }

  /** Lets running requests finish, then closes every worker's connection and waits for the workers to end. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.inflight);
    await Promise.all(this.slots.filter((slot) => !slot.exited).map((slot) => new Promise<void>((resolve) => {
      slot.worker.once('exit', () => resolve());
      slot.worker.postMessage('close');
    })));
  }

  private send(body: RequestBody): Promise<Page<StoredVersion>> {
    if (this.closing) return Promise.reject(new Error('the SQLite store is closed'));
    let slot: Slot | undefined;
    for (const s of this.slots) if (!s.exited && (slot === undefined || s.pending.size < slot.pending.size)) slot = s;
    if (slot === undefined) return Promise.reject(new Error('no SQLite read worker is running'));
    const id = this.nextId++;
    const target = slot;
    const answer = new Promise<Page<StoredVersion>>((resolve, reject) => {
      // As JSON text: V8's structured clone of a nested clause tree costs several times JSON.stringify.
      this.dispatch(target, id, { resolve, reject, text: JSON.stringify({ ...body, id } as ReadRequest) });
    });
    this.inflight.add(answer);
    const forget = (): void => void this.inflight.delete(answer);
    answer.then(forget, forget);
    return answer;
  }

  /** Queues a request on a worker; the first request of a queue runs against the time budget. */
  private dispatch(slot: Slot, id: number, p: Pending): void {
    slot.pending.set(id, p);
    slot.worker.postMessage(p.text);
    this.arm(slot);
  }

  /** Starts the budget of the request the worker is running now (the oldest it has not answered). */
  private arm(slot: Slot): void {
    // The budget starts once the worker is up: a replacement's start-up is not the request's cost.
    if (this.timeoutMs === undefined || !slot.started) return;
    const first = slot.pending.values().next();
    if (first.done === true) return;
    first.value.since ??= performance.now();
    if (slot.watchdog === undefined) this.watch(slot, this.timeoutMs);
  }

  /** Looks at the running request after `ms`: expires it when its budget is spent, else waits out the rest. */
  private watch(slot: Slot, ms: number): void {
    slot.watchdog = setTimeout(() => {
      slot.watchdog = undefined;
      if (slot.exited || this.timeoutMs === undefined) return;
      const first = slot.pending.entries().next();
      if (first.done === true) return; // idle: the next request arms a new timer
      const [id, p] = first.value;
      const left = (p.since ?? performance.now()) + this.timeoutMs - performance.now();
      if (left <= 0) this.expire(slot, id);
      else this.watch(slot, left);
    }, ms);
    slot.watchdog.unref();
  }

  /** The running request ran out of time: answer it, end its worker, and move the rest of its queue. */
  private expire(slot: Slot, id: number): void {
    const p = slot.pending.get(id);
    if (p === undefined || slot.exited) return;
    slot.pending.delete(id);
    const queued = [...slot.pending.entries()];
    slot.pending.clear();
    slot.exited = true;
    clearTimeout(slot.watchdog);
    const i = this.slots.indexOf(slot);
    // No prewarm: the queued requests should not wait for a cache fill.
    const replacement = this.spawn({ ...this.data, prewarm: false });
    if (i >= 0) this.slots[i] = replacement;
    void slot.worker.terminate();
    p.reject(badRequest(
      `The search took longer than this server's budget of ${this.timeoutMs} ms (VESTA_SEARCH_TIMEOUT_MS); narrow it with more selective parameters`,
      undefined, 'too-costly',
    ));
    for (const [qid, q] of queued) this.dispatch(replacement, qid, { resolve: q.resolve, reject: q.reject, text: q.text });
  }

  private spawn(data: ReadWorkerData = this.data): Slot {
    const worker = new Worker(this.workerUrl, { workerData: data });
    let ready!: (r: ReadWorkerReady) => void;
    let failed!: (err: unknown) => void;
    const slot: Slot = {
      worker, pending: new Map(), started: false, exited: false, ready: new Promise((resolve, reject) => { ready = resolve; failed = reject; }),
    };
    slot.ready.catch(() => undefined); // observed by ready(); a replacement worker's failure is reported per request
    worker.on('message', (reply: ReadReply | ReadWorkerReady) => {
      if ('ready' in reply) {
        slot.started = true;
        this.arm(slot);
        return ready(reply);
      }
      const p = slot.pending.get(reply.id);
      if (p === undefined) return;
      slot.pending.delete(reply.id);
      this.arm(slot);
      if ('page' in reply) p.resolve(unpackPage(reply.page));
      else if ('fhirError' in reply) p.reject(new FhirError(reply.fhirError.status, reply.fhirError.outcome, reply.fhirError.headers));
      else p.reject(new Error(`SQLite read worker: ${reply.error}`));
    });
    // A worker that dies fails its requests and is replaced, so one bad page never takes reads down for good;
    // one that never started (the database cannot be opened) is not, or it would be respawned forever.
    const fail = (err: unknown): void => {
      failed(err);
      clearTimeout(slot.watchdog);
      slot.watchdog = undefined;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (slot.exited) return; // ended on purpose (expire) and already replaced
      slot.exited = true;
      fail(new Error(`SQLite read worker exited with code ${code}`));
      if (this.closing || !slot.started) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
    });
    return slot;
  }
}
