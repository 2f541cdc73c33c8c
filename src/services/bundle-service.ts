import { FhirError, badRequest, notFound } from '../fhir/outcome.js';
import type { IdGenerator } from '../fhir/ids.js';
import { isPlaceholder, rewriteReferences } from '../fhir/references.js';
import { carrySliced, isSliced } from '../fhir/json-slices.js';
import { Pacer } from '../fhir/pacer.js';
import { isJsonObject } from '../fhir/resource-json.js';
import type { Restriction } from '../vocabulary/access.js';
import type { FhirResult } from '../vocabulary/fhir-request.js';
import type { PreparedVersion } from '../vocabulary/versions.js';
import type { ResourceStore } from '../store/port.js';
import { AfterCommit } from './after-commit.js';
import { atEntry, processingOrder } from './bundle-plan.js';
import type { BundlePlan, PlannedEntry } from './bundle-plan.js';
import { ReferenceTable } from './bundle-references.js';
import type { BundleScope, EntryCall, EntryOutcome, EntryRunner } from './bundle-entry.js';
import { ifNoneExistCriteria } from './conditional.js';
import type { ConditionalKind } from './conditional.js';

/** Dependencies of the Bundle service: the data services on the store itself, ids, and the known resource types. */
export interface BundleServiceDeps {
  base: BundleScope;
  ids: IdGenerator;
  resourceTypes: ReadonlySet<string>;
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const INSTANCE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** A transaction entry while it is being settled. */
interface TxEntry extends PlannedEntry {
  /** The id a POST entry gets if it creates: assigned up front, so other entries can refer to it. */
  createId?: string;
  /** Set when what the entry's fullUrl means depends on a search (a conditional create, update or patch). */
  conditional?: ConditionalKind;
  /** True once the fullUrl's meaning is known. */
  decided?: boolean;
  /** For a conditional create decided before its turn: the resource it matched, or none (it creates). */
  matched?: string | null;
  /** A create validated and indexed before the write lock (every reference of it was known). */
  prepared?: PreparedVersion;
  /** True while it refers to conditional entries whose fullUrl's meaning is not known yet. */
  waiting?: boolean;
}

/** The data services bound to a store view (a transaction's), with side effects held until `afterCommit` runs. */
function bind(base: BundleScope, store: ResourceStore, afterCommit: AfterCommit): BundleScope {
  return {
    store,
    resources: base.resources.withStore(store, afterCommit),
    reads: base.reads.withStore(store),
    search: base.search.withStore(store),
    history: base.history.withStore(store),
    conditional: base.conditional.withStore(store),
  };
}

/**
 * Batch and transaction processing (FHIR R4 http.html#transaction, bundle.html#references): processing order,
 * id assignment, reference rewriting, what each conditional entry's fullUrl means, and atomicity through
 * `ResourceStore.transaction`. It decides what each entry is; running it is the caller's `EntryRunner`, so every
 * entry passes through the same interaction table and pipeline as an HTTP request (its own access decision and
 * audit record) and its conditions are evaluated by the same conditional path, at its turn.
 */
export class BundleService {
  constructor(private readonly deps: BundleServiceDeps) {}

  /**
   * A batch (http.html#transaction): every entry on its own, in Bundle order; a failing entry gives `onError`'s
   * outcome and the others still apply. Entries may not refer to each other (bundle.html#references).
   */
  async batch(plan: BundlePlan, run: EntryRunner, onError: (entry: PlannedEntry, error: unknown) => EntryOutcome): Promise<EntryOutcome[]> {
    const fullUrls = new Set(plan.entries.flatMap((e) => (e.fullUrl === undefined ? [] : [e.fullUrl])));
    const outcomes: EntryOutcome[] = [];
    // Other requests get the event loop every few milliseconds, so one big Bundle does not starve them.
    const pace = new Pacer();
    for (const entry of plan.entries) {
      if (pace.due) await pace.yield();
      if (entry.problem) {
        outcomes.push(onError(entry, atEntry(entry.problem, entry.index)));
        continue;
      }
      let problem: FhirError | undefined;
      try {
        checkBatchEntry(entry, fullUrls);
      } catch (e) {
        if (!(e instanceof FhirError)) throw e;
        problem = e;
      }
      try {
        const result = await run(callOf(entry, headersOf(entry), {}, problem), this.deps.base);
        outcomes.push({ result, target: targetOf(entry.path, result) });
      } catch (e) {
        outcomes.push(onError(entry, e instanceof FhirError ? atEntry(e, entry.index, typeOfBody(entry)) : e));
      }
    }
    return outcomes;
  }

  /**
   * A transaction (http.html#transaction): all entries or none. Entries run in processing order (DELETE, POST,
   * PUT/PATCH, GET/HEAD; Bundle order within each) on the store's transaction view, and each one's conditions
   * (If-None-Exist, conditional URLs, conditional references) are evaluated at its turn, against the state the
   * entries before it left. When an entry refers to the fullUrl of a conditional create or update that has not
   * run yet, that entry's criteria are evaluated first, at that point, and it then does what they decided.
   * Creates whose references are all known are validated and indexed before the write lock is taken. The first
   * failing entry aborts everything; its error, located at `Bundle.entry[i]`, is thrown. `restrict` is the
   * caller's restriction, for criteria evaluated outside their own entry's turn.
   */
  async transaction(plan: BundlePlan, run: EntryRunner, restrict?: Restriction): Promise<EntryOutcome[]> {
    const { base } = this.deps;
    if (!base.store.capabilities.transactions) {
      throw new FhirError(501, [{
        severity: 'error', code: 'not-supported',
        diagnostics: `The ${base.store.capabilities.name} store cannot apply transactions atomically; send a batch instead`,
      }]);
    }
    const failed = plan.entries.find((e) => e.problem);
    if (failed?.problem) throw atEntry(failed.problem, failed.index);
    const refs = new ReferenceTable();
    const entries = plan.entries.map((e) => this.assign(e, refs));
    const pending = new Map(entries.flatMap((w) => (w.conditional && w.method !== 'DELETE' && w.fullUrl !== undefined ? [[w.fullUrl, w] as const] : [])));
    // One walk per entry rewrites what is known; then creates whose references are all known are validated and
    // indexed here, outside the write lock. Two passes rather than one: each keeps its code hot (measured on the
    // Synthea ingest, the reference walk took about twice as long when it alternated with validation and indexing).
    // Other requests get the event loop every few milliseconds meanwhile.
    const pace = new Pacer();
    const preparable: TxEntry[] = [];
    for (const w of entries) {
      if (pace.due) await pace.yield();
      const settled = settle(w, refs, pending);
      w.waiting = settled.waiting.length > 0;
      if (w.createId !== undefined && !w.conditional && !w.waiting && !settled.conditionalReferences) preparable.push(w);
    }
    for (const w of preparable) {
      if (pace.due) await pace.yield();
      try {
        w.prepared = isSliced(w.body)
          ? await base.resources.prepareLargeCreate(w.path, w.body, w.createId!)
          : base.resources.prepareCreate(w.path, w.body, w.createId!);
      } catch (e) {
        throw e instanceof FhirError ? atEntry(e, w.index, w.path) : e;
      }
    }
    const afterCommit = new AfterCommit();
    const outcomes = await base.store.transaction(async (tx) => {
      const scope = bind(base, tx, afterCommit);
      const out: EntryOutcome[] = new Array<EntryOutcome>(entries.length);
      for (const index of processingOrder(entries)) {
        const w = entries[index];
        if (pace.due) await pace.yield();
        let problem: FhirError | undefined;
        if (w.waiting) {
          try {
            for (const target of settle(w, refs, pending).waiting) await this.decide(target, refs, pending, scope, restrict, new Set([w]));
            settle(w, refs, pending);
          } catch (e) {
            if (!(e instanceof FhirError)) throw e;
            problem = e;
          }
        }
        let result: FhirResult;
        try {
          result = await run(this.callOf(w, problem), scope);
        } catch (e) {
          throw e instanceof FhirError ? atEntry(e, index, typeOfBody(w)) : e;
        }
        const produced = single(result);
        if (w.fullUrl !== undefined && !refs.has(w.fullUrl) && produced) refs.set(w.fullUrl, `${produced.resourceType}/${produced.id}`);
        w.decided = true;
        out[index] = { result, target: targetOf(w.path, result) };
      }
      return out;
    });
    afterCommit.run();
    return outcomes;
  }

  /** Gives POST entries their ids up front and records what each fullUrl will mean (bundle.html#references). */
  private assign(entry: PlannedEntry, refs: ReferenceTable): TxEntry {
    const w: TxEntry = { ...entry };
    const plainType = TYPE.test(entry.path) && this.deps.resourceTypes.has(entry.path);
    const criteria = plainType && entry.query.length > 0;
    switch (entry.method) {
      case 'POST':
        if (!plainType) break;
        w.createId = this.deps.ids();
        if (entry.conditions.ifNoneExist !== undefined) w.conditional = 'If-None-Exist';
        else if (w.fullUrl !== undefined) refs.set(w.fullUrl, `${entry.path}/${w.createId}`);
        break;
      case 'PUT':
        if (criteria) w.conditional = 'conditional update';
        else if (w.fullUrl !== undefined && INSTANCE.test(entry.path)) refs.set(w.fullUrl, entry.path);
        break;
      case 'PATCH':
        if (criteria) w.conditional = 'conditional patch';
        break;
      case 'DELETE':
        if (criteria) w.conditional = 'conditional delete';
        break;
      case 'GET':
      case 'HEAD':
        break;
    }
    return w;
  }

  /**
   * Evaluates a conditional create, update or patch's criteria before its turn, because an entry that runs
   * earlier refers to its fullUrl; records what the fullUrl means and pins the entry to that decision.
   */
  private async decide(
    t: TxEntry, refs: ReferenceTable, pending: ReadonlyMap<string, TxEntry>, scope: BundleScope,
    restrict: Restriction | undefined, stack: Set<TxEntry>,
  ): Promise<void> {
    if (t.decided) return;
    if (stack.has(t)) {
      throw badRequest('Conditional entries refer to each other\'s fullUrl in a circle; their criteria cannot be evaluated', [`Bundle.entry[${t.index}].fullUrl`]);
    }
    stack.add(t);
    for (const u of waitingCriteria(t, refs, pending)) await this.decide(u, refs, pending, scope, restrict, stack);
    const type = t.path;
    const kind = t.conditional!;
    try {
      const criteria = criteriaPairs(t).map(([k, v]): [string, string] => [k, refs.resolve(v, undefined) ?? v]);
      const match = await scope.conditional.match(type, criteria, restrict, kind);
      let id: string;
      if (t.method === 'POST') {
        t.matched = match?.id ?? null;
        id = match?.id ?? t.createId!;
      } else {
        const bodyId = isJsonObject(t.body) && typeof t.body.id === 'string' ? t.body.id : undefined;
        if (t.method === 'PATCH' && !match) throw notFound('The conditional patch criteria match no resource');
        if (match && bodyId !== undefined && bodyId !== match.id) {
          throw badRequest('The resource id does not match the resource found by the conditional update criteria', [`${type}.id`]);
        }
        // No match: update-as-create with the client's id, or a server-assigned one (http.html#cond-update).
        id = match?.id ?? bodyId ?? this.deps.ids();
        if (t.method === 'PUT' && isJsonObject(t.body)) {
          const body = { ...t.body, id };
          carrySliced(t.body, body);
          t.body = body;
        }
        t.path = `${type}/${id}`;
        t.query = [];
        t.conditional = undefined;
      }
      if (t.fullUrl !== undefined) refs.set(t.fullUrl, `${type}/${id}`);
      t.decided = true;
    } catch (e) {
      throw e instanceof FhirError ? atEntry(e, t.index, typeOfBody(t)) : e;
    } finally {
      stack.delete(t);
    }
  }

  /** The call for an entry at its turn, honouring what an earlier evaluation of its criteria decided. */
  private callOf(w: TxEntry, problem: FhirError | undefined): EntryCall {
    const headers = headersOf(w);
    if (w.method === 'POST' && w.matched !== undefined) {
      // Decided earlier: it finds the resource it matched then (by the same conditional path), or it creates.
      if (w.matched === null) delete headers['if-none-exist'];
      else headers['if-none-exist'] = `_id=${w.matched}`;
    }
    return callOf(w, headers, { createId: w.createId, prepared: w.prepared }, problem);
  }
}

/** The entry's conditional headers, lower-case as HTTP requests carry them. */
function headersOf(entry: PlannedEntry): Record<string, string> {
  const c = entry.conditions;
  const h: Record<string, string> = {};
  if (c.ifMatch !== undefined) h['if-match'] = c.ifMatch;
  if (c.ifNoneMatch !== undefined) h['if-none-match'] = c.ifNoneMatch;
  if (c.ifModifiedSince !== undefined) h['if-modified-since'] = c.ifModifiedSince;
  if (c.ifNoneExist !== undefined) h['if-none-exist'] = c.ifNoneExist;
  return h;
}

function callOf(entry: PlannedEntry, headers: Record<string, string>, settled: { createId?: string; prepared?: PreparedVersion }, problem?: FhirError): EntryCall {
  const call: EntryCall = {
    index: entry.index, method: entry.method, path: entry.path, query: entry.query, headers, body: entry.body,
    settlement: { ...settled, conditionalReferences: true },
  };
  if (problem) call.problem = problem;
  return call;
}

/** The search criteria an entry's condition uses: `ifNoneExist` for a create, the URL query otherwise. */
function criteriaPairs(w: PlannedEntry): [string, string][] {
  if (w.method === 'POST') return w.conditions.ifNoneExist === undefined ? [] : ifNoneExistCriteria(w.conditions.ifNoneExist);
  return w.query;
}

/** A batch entry may not address or refer to another entry of the batch (bundle.html#references). */
function checkBatchEntry(entry: PlannedEntry, fullUrls: ReadonlySet<string>): void {
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
}

/** What one walk over an entry found: the conditional entries it waits for, and whether it holds conditional references. */
interface Settled {
  waiting: TxEntry[];
  conditionalReferences: boolean;
}

/**
 * One walk over a transaction entry: rewrites its URL, its criteria and every reference in its resource (narrative
 * included) to the ids known now; lists the undecided conditional entries whose fullUrl it names; flags
 * conditional references; and fails on a placeholder no entry declares as its fullUrl.
 */
function settle(w: TxEntry, refs: ReferenceTable, pending: ReadonlyMap<string, TxEntry>): Settled {
  const out: Settled = { waiting: [], conditionalReferences: false };
  const waitFor = (ref: string): boolean => {
    const target = pending.get(ref);
    if (!target || target === w || target.decided) return false;
    if (!out.waiting.includes(target)) out.waiting.push(target);
    return true;
  };
  const local = refs.resolve(w.path, undefined);
  if (local !== undefined) w.path = local;
  else if (isPlaceholder(w.path) && !waitFor(w.path)) {
    throw badRequest('request.url names a placeholder that no entry of the Bundle declares as fullUrl', [`Bundle.entry[${w.index}].request.url`]);
  }
  for (const pair of w.query) {
    const resolved = refs.resolve(pair[1], undefined);
    if (resolved !== undefined) pair[1] = resolved;
    else waitFor(pair[1]);
  }
  if (w.method === 'POST' && w.conditions.ifNoneExist !== undefined) {
    const pairs = criteriaPairs(w);
    const mapped = pairs.map(([k, v]): [string, string] => [k, refs.resolve(v, undefined) ?? v]);
    for (const [, v] of mapped) waitFor(v);
    if (mapped.some(([, v], i) => v !== pairs[i]![1])) w.conditions = { ...w.conditions, ifNoneExist: new URLSearchParams(mapped).toString() };
  }
  rewriteReferences(w.body, (ref, at) => {
    const resolved = refs.resolve(ref, w.fullUrl);
    if (resolved !== undefined) return resolved;
    if (waitFor(ref)) return undefined;
    if (ref.includes('?')) out.conditionalReferences = true;
    else if (isPlaceholder(ref)) {
      throw badRequest('The reference names a placeholder that no entry of the Bundle declares as fullUrl', [`Bundle.entry[${w.index}].resource.${at()}`]);
    }
    return undefined;
  }, (div) => refs.narrative(div));
  return out;
}

/** The undecided conditional entries whose fullUrl `t`'s own criteria name. */
function waitingCriteria(t: TxEntry, refs: ReferenceTable, pending: ReadonlyMap<string, TxEntry>): TxEntry[] {
  return criteriaPairs(t).flatMap(([, v]) => {
    const target = refs.resolve(v, undefined) === undefined ? pending.get(v) : undefined;
    return target && !target.decided && target !== t ? [target] : [];
  });
}

/** The one resource a single-resource result (read, write, conditional match) carries, if it is one. */
function single(result: FhirResult): { resourceType: string; id: string } | undefined {
  return result.headers?.ETag !== undefined && result.touched?.length === 1 ? result.touched[0] : undefined;
}

/** The resource an entry addressed or produced (`Type/id`), for its `fullUrl` in the response. */
function targetOf(path: string, result: FhirResult): string | undefined {
  const one = single(result);
  if (one) return `${one.resourceType}/${one.id}`;
  const m = INSTANCE.exec(path);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

function typeOfBody(entry: PlannedEntry): string | undefined {
  return isJsonObject(entry.body) && typeof entry.body.resourceType === 'string' ? entry.body.resourceType : undefined;
}
