import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'winston';
import { badRequest, notFound } from '../fhir/outcome.js';
import type { Clock, IdGenerator } from '../fhir/ids.js';
import type { IndexMaintenance, ResourceStore, VersionWrite } from '../store/port.js';
import { supportsReindex } from '../store/port.js';
import type { Indexer } from './ports.js';

/** Progress of one reindex job, as reported by `$reindex` status. */
export interface ReindexJob {
  id: string;
  status: 'running' | 'completed' | 'failed';
  types: string[];
  /** Resources re-indexed so far. */
  processed: number;
  /** Current resources of the types when the job started. */
  total: number;
  started: string;
  finished?: string;
  /** Generic failure text (never resource content). */
  error?: string;
}

/** Resources re-indexed per store call; small enough that one batch holds the write lock only briefly. */
const BATCH = 200;
/** Finished jobs kept for status queries. */
const KEEP_FINISHED = 50;

/**
 * Re-extracts the index values of existing resources in the background (after a SearchParameter is added),
 * in small batches that yield to the event loop so ordinary traffic is never blocked. Each batch only
 * replaces the index of versions that are still current.
 */
export class ReindexService {
  private readonly jobs = new Map<string, ReindexJob>();

  constructor(
    private readonly store: ResourceStore,
    private readonly indexer: Indexer,
    private readonly resourceTypes: readonly string[],
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly log: Logger,
  ) {}

  /** Starts a job over the given types (all types when empty) and returns at once. */
  async start(types: string[]): Promise<ReindexJob> {
    if (!supportsReindex(this.store)) throw badRequest('This store does not support reindexing', undefined, 'not-supported');
    for (const t of types) if (!this.resourceTypes.includes(t)) throw badRequest(`Unknown resource type ${t}`);
    const chosen = types.length > 0 ? types : [...this.resourceTypes];
    let total = 0;
    for (const t of chosen) total += (await this.store.search({ types: [t], sort: [], count: 0, total: 'accurate' })).total ?? 0;
    const job: ReindexJob = { id: this.ids(), status: 'running', types: chosen, processed: 0, total, started: this.clock().toISOString() };
    this.jobs.set(job.id, job);
    this.prune();
    void this.run(job, this.store).catch(() => undefined);
    return { ...job };
  }

  /** Runs a job to the end (the CLI awaits this; `start` does not). */
  async runToCompletion(types: string[], onProgress?: (job: ReindexJob) => void): Promise<ReindexJob> {
    const job = await this.start(types);
    const live = this.jobs.get(job.id)!;
    while (live.status === 'running') {
      await new Promise((r) => setTimeout(r, 200));
      onProgress?.({ ...live });
    }
    return { ...live };
  }

  /** A job's progress; 404 for unknown ids. */
  status(id: string): ReindexJob {
    const job = this.jobs.get(id);
    if (!job) throw notFound(`No reindex job ${id}`);
    return { ...job };
  }

  private async run(job: ReindexJob, store: ResourceStore & IndexMaintenance): Promise<void> {
    try {
      for (const type of job.types) {
        let cursor: string | undefined;
        do {
          const page = await store.search({ types: [type], sort: [], count: BATCH, cursor, total: 'none' });
          const writes: VersionWrite[] = page.items.map((version) => ({
            version, index: this.indexer.extract(JSON.parse(version.json) as { resourceType: string }),
          }));
          if (writes.length > 0) await store.replaceIndexes(writes);
          job.processed += writes.length;
          cursor = page.next;
          await yieldToEventLoop();
        } while (cursor);
      }
      job.status = 'completed';
    } catch (e) {
      job.status = 'failed';
      job.error = 'The reindex job stopped on an internal error; see the server log';
      this.log.error('reindex failed', { jobId: job.id, error: e instanceof Error ? e.message : String(e) });
    } finally {
      job.finished = this.clock().toISOString();
      this.log.info('reindex finished', { jobId: job.id, status: job.status, processed: job.processed });
    }
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.status !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.id);
  }
}
