import { Worker } from 'node:worker_threads';
import type { SlicePlan } from '../fhir/json-slices.js';
import { Pacer } from '../fhir/pacer.js';
import { FhirError } from '../fhir/outcome.js';
import type { SearchParamDef, SearchRegistry } from '../search/parameters.js';
import type { IndexValue } from '../vocabulary/index-values.js';
import type { BodyReply, BodyRequest, BodyWorkerData } from './protocol.js';

/** Thrown when no worker could do the work (none running, one died, the pool closed): the caller does it itself. */
export class WorkerUnavailable extends Error {
  constructor(reason: string) {
    super(`body worker unavailable: ${reason}`);
    this.name = 'WorkerUnavailable';
  }
}

/** Options of {@link BodyWorkerPool}. */
export interface BodyWorkerPoolOptions {
  /** Most workers running at once (started on first use, one more whenever all are busy). */
  size: number;
  /** The public FHIR base, for indexing references (search/extract.ts). */
  baseUrl: string;
  /** The search parameters the main thread indexes with; workers are sent each type's as it is now. */
  registry: Pick<SearchRegistry, 'forType'>;
  /** The worker script (tests pass their own). */
  workerUrl?: URL;
}

/** Distributive Omit, so each member of the request union keeps its own fields. */
type RequestBody = BodyRequest extends infer R ? (R extends BodyRequest ? Omit<R, 'id'> : never) : never;

type Pending = { resolve: (reply: BodyReply) => void; reject: (err: unknown) => void };

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** The parameter map last sent per type: unchanged maps are not sent again. */
  sent: Map<string, ReadonlyMap<string, SearchParamDef>>;
  exited: boolean;
}

/**
 * A small pool of worker threads for the CPU work of large bodies that does not need the main thread (issue 10
 * item 6): checking and planning JSON text, and extracting the index rows of a resource. Workers start on first
 * use, so a server that never receives a large body never starts one; they do not keep the process alive, get no
 * environment variables, and are ended by `close`. A worker's FhirError (invalid JSON) is rethrown as such; any
 * other failure is a {@link WorkerUnavailable}, on which callers do the work on their own thread instead.
 */
export class BodyWorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: BodyWorkerPoolOptions) {}

  /** How many workers are running. */
  get running(): number {
    return this.slots.filter((s) => !s.exited).length;
  }

  /**
   * Checks JSON text as `checkJsonText` does (the same FhirErrors) and plans its pieces, `chunk` characters at
   * most each (json-slices.ts); offsets are into the text without its byte order mark.
   */
  async planJson(text: string, maxDepth: number, chunk: number): Promise<SlicePlan> {
    const reply = await this.send({ op: 'json', text, maxDepth, chunk });
    if (!('plan' in reply)) throw new WorkerUnavailable('unexpected answer');
    return reply.plan;
  }

  /**
   * The index rows of the resource with this JSON text: the same rows the main thread's indexer gives for it,
   * received in pieces with yields to the event loop between them (pacer.ts).
   */
  async extractIndex(resourceType: string, json: string): Promise<IndexValue[]> {
    const defs = this.opts.registry.forType(resourceType);
    const reply = await this.send({ op: 'index', resourceType, json }, (slot, req) => {
      if (slot.sent.get(resourceType) === defs || req.op !== 'index') return;
      req.defs = [...defs];
      slot.sent.set(resourceType, defs);
    });
    if (!('rows' in reply)) throw new WorkerUnavailable('unexpected answer');
    const rows: IndexValue[] = [];
    const pace = new Pacer();
    for (const piece of reply.rows) {
      const part = typeof piece === 'string' ? (JSON.parse(piece) as IndexValue[]) : piece;
      for (const row of part) rows.push(row);
      await pace.tick();
    }
    return rows;
  }

  /** Ends every worker; work still waiting fails with WorkerUnavailable (its callers do it themselves). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map(async (slot) => {
      slot.exited = true;
      this.fail(slot, new WorkerUnavailable('the pool is closed'));
      await slot.worker.terminate();
    }));
    this.slots.length = 0;
  }

  private send(body: RequestBody, prepare?: (slot: Slot, req: BodyRequest) => void): Promise<BodyReply> {
    if (this.closed) return Promise.reject(new WorkerUnavailable('the pool is closed'));
    let slot: Slot;
    try {
      slot = this.pick();
    } catch (err) {
      return Promise.reject(new WorkerUnavailable(err instanceof Error ? err.message : String(err)));
    }
    const req = { ...body, id: this.nextId++ } as BodyRequest;
    prepare?.(slot, req);
    return new Promise<BodyReply>((resolve, reject) => {
      // A worker with work keeps the process alive until it answers; an idle one does not (see spawn).
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(req.id, { resolve, reject });
      slot.worker.postMessage(req);
    }).then((reply) => {
      if ('fhirError' in reply) throw new FhirError(reply.fhirError.status, reply.fhirError.outcome, reply.fhirError.headers);
      // The message is not passed on: it may quote the body.
      if ('error' in reply) throw new WorkerUnavailable('the worker failed');
      return reply;
    });
  }

  /** The idlest running worker, or a new one while fewer than `size` run and all are busy. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (!s.exited && (best === undefined || s.pending.size < best.pending.size)) best = s;
    if (best !== undefined && (best.pending.size === 0 || this.running >= this.opts.size)) return best;
    return this.spawn();
  }

  private spawn(): Slot {
    const data: BodyWorkerData = { baseUrl: this.opts.baseUrl };
    // No environment: secrets (keys, database URIs) stay on the main thread.
    const worker = new Worker(this.opts.workerUrl ?? new URL('./body-worker.js', import.meta.url), { workerData: data, env: {} });
    // An idle worker must not keep a process alive (tests, tools); `send` refs it while it has work.
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), sent: new Map(), exited: false };
    this.slots.push(slot);
    worker.on('message', (reply: BodyReply) => {
      const p = slot.pending.get(reply.id);
      if (p === undefined) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      p.resolve(reply);
    });
    const gone = (reason: string): void => {
      if (!slot.exited) {
        slot.exited = true;
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
      }
      this.fail(slot, new WorkerUnavailable(reason));
    };
    worker.on('error', () => gone('the worker failed'));
    worker.on('exit', (code) => gone(`the worker exited with code ${code}`));
    return slot;
  }

  private fail(slot: Slot, err: WorkerUnavailable): void {
    for (const p of slot.pending.values()) p.reject(err);
    slot.pending.clear();
  }
}
