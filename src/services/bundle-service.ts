import { FhirError, badRequest } from '../fhir/outcome.js';
import type { IdGenerator } from '../fhir/ids.js';
import { isJsonObject } from '../fhir/resource-json.js';
import { atEntry, processingOrder } from './bundle-plan.js';
import type { BundlePlan, PlannedEntry } from './bundle-plan.js';
import { ReferenceTable, isPlaceholder, rewriteReferences } from './bundle-references.js';
import { resolveConditionalReferences, resolveEntryTargets } from './bundle-resolve.js';
import type { ConditionalCache } from './bundle-resolve.js';
import type { BundleScope, EntryRunner, EntryWork, ReadyEntry, WorkEntry } from './bundle-entry.js';

/** Dependencies of the Bundle service. */
export interface BundleServiceDeps extends BundleScope {
  ids: IdGenerator;
  resourceTypes: ReadonlySet<string>;
}

/** How many entries run between yields to the event loop, so one big Bundle does not starve other requests. */
const YIELD_EVERY = 64;
const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Types whose writes have side effects in ResourceService (SearchParameter activation), so they never take the fast path. */
/**
 * Batch and transaction processing (FHIR R4 http.html#transaction, bundle.html#references): processing
 * order, id assignment, reference rewriting, conditional entries and references, and atomicity through
 * `ResourceStore.transaction`. It decides what each entry does; running it (table, hooks, results) is the
 * caller's `EntryRunner`, so entries pass through the same interaction pipeline as HTTP requests.
 */
export class BundleService {
  constructor(private readonly deps: BundleServiceDeps) {}

  /**
   * A batch (http.html#transaction): every entry on its own, in Bundle order; a failing entry gives
   * `onError`'s outcome and the others still apply. Entries may not refer to each other (bundle.html#references).
   */
  async batch<R>(plan: BundlePlan, run: EntryRunner<R>, onError: (entry: PlannedEntry, error: unknown) => R): Promise<R[]> {
    const fullUrls = new Set(plan.entries.flatMap((e) => (e.fullUrl === undefined ? [] : [e.fullUrl])));
    const cache: ConditionalCache = new Map();
    const results: R[] = [];
    for (const entry of plan.entries) {
      if (entry.index > 0 && entry.index % YIELD_EVERY === 0) await pause();
      if (entry.problem) {
        results.push(onError(entry, atEntry(entry.problem, entry.index)));
        continue;
      }
      let work: EntryWork = { kind: 'route' };
      try {
        if (isPlaceholder(entry.path) || fullUrls.has(entry.path)) {
          throw badRequest('A batch entry cannot address another entry of the batch; use a transaction', [`Bundle.entry[${entry.index}].request.url`]);
        }
        rewriteReferences(entry.body, (ref, at) => {
          if (isPlaceholder(ref) || fullUrls.has(ref)) {
            throw badRequest(
              'A batch entry cannot refer to another entry of the batch (or to an unknown placeholder); use a transaction',
              [`Bundle.entry[${entry.index}].resource.${at()}`],
            );
          }
          return undefined;
        });
        await resolveConditionalReferences(entry, this.deps.search, cache);
      } catch (e) {
        if (!(e instanceof FhirError)) throw e;
        work = { kind: 'fail', error: e };
      }
      try {
        results.push(await run(ready(entry, work), this.deps));
      } catch (e) {
        results.push(onError(entry, e instanceof FhirError ? atEntry(e, entry.index, typeOfBody(entry)) : e));
      }
    }
    return results;
  }

  /**
   * A transaction (http.html#transaction): all entries or none. Ids are assigned, references rewritten and
   * creates validated and indexed before the write lock is taken where nothing conditional is involved;
   * the rest is resolved inside the store transaction. Entries run in processing order (DELETE, POST,
   * PUT/PATCH, GET/HEAD); results come back in Bundle order. The first failing entry aborts everything
   * and its error, located at `Bundle.entry[i]`, is thrown.
   */
  async transaction<R>(plan: BundlePlan, run: EntryRunner<R>): Promise<R[]> {
    if (!this.deps.store.capabilities.transactions) {
      throw new FhirError(501, [{
        severity: 'error', code: 'not-supported',
        diagnostics: `The ${this.deps.store.capabilities.name} store cannot apply transactions atomically; send a batch instead`,
      }]);
    }
    const failed = plan.entries.find((e) => e.problem);
    if (failed?.problem) throw atEntry(failed.problem, failed.index);
    const refs = new ReferenceTable();
    const entries = plan.entries.map((e) => this.assignIds(e, refs));
    const deferred = new Set(entries.flatMap((w) => (w.deferred && w.fullUrl !== undefined ? [w.fullUrl] : [])));
    for (const w of entries) {
      this.rewrite(w, refs, deferred);
      if (w.index > 0 && w.index % YIELD_EVERY === 0) await pause();
    }
    // Validation and index extraction of plain creates happen here, outside the write lock.
    for (const w of entries) {
      if (!w.pending && w.createId !== undefined && !w.deferred) this.prepareCreate(w);
      if (w.index > 0 && w.index % YIELD_EVERY === 0) await pause();
    }
    return this.deps.store.transaction(async (tx) => {
      const scope: BundleScope = {
        store: tx, resources: this.deps.resources.withStore(tx), search: this.deps.search.withStore(tx), history: this.deps.history.withStore(tx),
      };
      if (entries.some((w) => w.deferred || w.pending)) {
        await resolveEntryTargets(entries, refs, scope.search, this.deps.ids);
        const cache: ConditionalCache = new Map();
        for (const w of entries) {
          if (!w.pending || w.work) continue;
          try {
            this.rewrite(w, refs, new Set());
            await resolveConditionalReferences(w, scope.search, cache);
          } catch (e) {
            if (!(e instanceof FhirError)) throw e;
            w.work = { kind: 'fail', error: e };
          }
        }
        for (const w of entries) if (w.createId !== undefined && !w.prepared && !w.work) this.prepareCreate(w);
      }
      const results: R[] = new Array<R>(entries.length);
      let count = 0;
      for (const index of processingOrder(entries)) {
        const w = entries[index];
        if (++count % YIELD_EVERY === 0) await pause();
        try {
          results[index] = await run(ready(w, w.work ?? this.createWork(w, scope)), scope);
        } catch (e) {
          throw e instanceof FhirError ? atEntry(e, index, typeOfBody(w)) : e;
        }
      }
      return results;
    });
  }

  /** Gives POST entries their ids up front and records what each fullUrl will mean (bundle.html#references). */
  private assignIds(entry: PlannedEntry, refs: ReferenceTable): WorkEntry {
    const w: WorkEntry = { ...entry };
    const type = entry.path.split('/')[0];
    const plainType = /^[A-Z][A-Za-z]{1,63}$/.test(entry.path) && this.deps.resourceTypes.has(type);
    if (entry.method === 'POST' && plainType) {
      w.createId = this.deps.ids();
      if (entry.conditions.ifNoneExist !== undefined) w.deferred = true;
      else if (w.fullUrl !== undefined) refs.set(w.fullUrl, `${type}/${w.createId}`);
    } else if (entry.method === 'PUT' && plainType && entry.query.length > 0) {
      w.deferred = true;
    } else if (entry.method === 'PUT' && w.fullUrl !== undefined && /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/.test(entry.path)) {
      refs.set(w.fullUrl, entry.path);
    }
    if ((entry.method === 'DELETE' || entry.method === 'PATCH') && plainType && entry.query.length > 0) w.deferred = true;
    return w;
  }

  /**
   * Rewrites the entry's URL and every reference in its resource to the ids known so far. Placeholders of
   * entries resolved later, and conditional references, mark the entry pending (resolved inside the lock).
   */
  private rewrite(w: WorkEntry, refs: ReferenceTable, deferred: ReadonlySet<string>): void {
    const target = refs.resolve(w.path, undefined);
    if (target !== undefined) w.path = target;
    else if (isPlaceholder(w.path)) {
      if (deferred.has(w.path)) w.pending = true;
      else throw badRequest('request.url names a placeholder that no entry of the Bundle declares as fullUrl', [`Bundle.entry[${w.index}].request.url`]);
    }
    for (const pair of w.query) {
      const local = refs.resolve(pair[1], undefined);
      if (local !== undefined) pair[1] = local;
      else if (deferred.has(pair[1])) w.pending = true;
    }
    let pending = false;
    rewriteReferences(w.body, (ref, at) => {
      const local = refs.resolve(ref, w.fullUrl);
      if (local !== undefined) return local;
      if (deferred.has(ref) || ref.includes('?')) {
        pending = true;
        return undefined;
      }
      if (isPlaceholder(ref)) {
        throw badRequest('The reference names a placeholder that no entry of the Bundle declares as fullUrl', [`Bundle.entry[${w.index}].resource.${at()}`]);
      }
      return undefined;
    }, (div) => refs.narrative(div));
    if (pending) w.pending = true;
  }

  /** Validates the create and prepares its version and index values (the CPU-heavy part of a write). */
  private prepareCreate(w: WorkEntry): void {
    const type = w.path;
    if (w.createId === undefined) return;
    try {
      w.prepared = this.deps.resources.prepareCreate(type, w.body, w.createId);
    } catch (e) {
      throw e instanceof FhirError ? atEntry(e, w.index, type) : e;
    }
  }

  /** The work of an entry that resolution left as is: a prepared create, or dispatch through the table. */
  private createWork(w: WorkEntry, scope: BundleScope): EntryWork {
    if (w.createId === undefined) return { kind: 'route' };
    const prepared = w.prepared;
    if (!prepared) throw new Error('a create was not prepared');
    return { kind: 'create', commit: async () => (await scope.resources.commitCreate(prepared)).version };
  }
}

function ready(entry: PlannedEntry, work: EntryWork): ReadyEntry {
  return {
    index: entry.index, method: entry.method, path: entry.path, query: entry.query, body: entry.body,
    conditions: entry.conditions, work,
  };
}

function typeOfBody(entry: PlannedEntry): string | undefined {
  return isJsonObject(entry.body) && typeof entry.body.resourceType === 'string' ? entry.body.resourceType : undefined;
}
