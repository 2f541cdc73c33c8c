import { tombstoneJson } from '../fhir/tombstone.js';
import type { DeleteStatus } from '../fhir/tombstone.js';
import type { Operation } from 'fast-json-patch';
import { FhirError, badRequest, conflict, forbidden, gone, invalid, notFound, preconditionFailed, unprocessable } from '../fhir/outcome.js';
import type { Issue } from '../fhir/outcome.js';
import { assertValidId } from '../fhir/ids.js';
import type { Clock, IdGenerator } from '../fhir/ids.js';
import { rewriteReferences } from '../fhir/references.js';
import { isJsonObject, stampMeta } from '../fhir/resource-json.js';
import type { AnyResource } from '../fhir/resource-json.js';
import type { Restriction, TouchedResource } from '../vocabulary/access.js';
import type { EntrySettlement } from '../vocabulary/fhir-request.js';
import type { PreparedVersion } from '../vocabulary/versions.js';
import { VersionConflict } from '../store/port.js';
import type { ResourceStore, StoredVersion, VersionWrite } from '../store/port.js';
import { AfterCommit } from './after-commit.js';
import type { ConditionalKind, ConditionalMatcher, Criteria } from './conditional.js';
import { applyJsonPatch } from './json-patch.js';
import { parseStored, stringifyExact } from '../fhir/exact-json.js';
import { carrySliced, isSliced, stringifySliced } from '../fhir/json-slices.js';
import type { IndexOffload, Indexer, ResourceValidator } from './ports.js';
import type { SearchParameterActivation } from './search-parameter-activation.js';
import type { TouchedResources } from './touched.js';
import type { ReadService } from './read-service.js';
import { satisfies } from './restriction.js';

export type { PreparedVersion } from '../vocabulary/versions.js';

/** The outcome of a write: the stored version and whether it created the resource. */
export interface WriteResult {
  version: StoredVersion;
  /** True when this write created the resource (201), false for an update or an existing match (200). */
  created: boolean;
  /** True when a conditional create found an existing match and wrote nothing. */
  existing?: boolean;
  /** The resource written or found, for the audit record. */
  touched: TouchedResource;
}

/** The outcome of a delete: the tombstone written, if any (deleting what is missing or deleted writes nothing). */
export interface DeleteResult {
  tombstone?: StoredVersion;
  touched: TouchedResource[];
}

/** What a write needs besides its target: the caller's restrictions and, for Bundle entries, their settlement. */
export interface WriteOptions {
  /**
   * What the caller may see: conditional matches and conditional references only see inside it, and a resource
   * outside it cannot be updated, patched or deleted (it answers as one that never existed).
   */
  restrict?: Restriction;
  /** What the caller may write: the resource must satisfy it before and after the write (else 403). */
  writable?: Restriction;
  /** `If-Match` as a version id (412 on mismatch). */
  ifMatch?: string;
  /** Set for batch and transaction entries (FHIR R4 http.html#trules). */
  entry?: EntrySettlement;
  /** The status a delete will answer (200 unless the client prefers a minimal answer), kept on the tombstone for history. */
  deleteStatus?: DeleteStatus;
}

/** Dependencies of the write algorithm, passed by the composition root. */
export interface ResourceServiceDeps {
  store: ResourceStore;
  validator: ResourceValidator;
  indexer: Indexer;
  clock: Clock;
  ids: IdGenerator;
  conditional: ConditionalMatcher;
  reads: ReadService;
  touched: TouchedResources;
  /** Registers SearchParameter resources written at run time (optional: absent in store-only tools). */
  searchParameters?: SearchParameterActivation;
  /** Set on a service bound to an uncommitted store view: side effects wait for its commit. */
  afterCommit?: AfterCommit;
  /** Where large resources are indexed off the event loop (absent: on it). */
  offload?: IndexOffload;
}

/**
 * How often a write without `If-Match` re-reads and retries after losing a race to another writer. Each loss
 * means another write to the same resource committed, so N concurrent writers need at most N - 1 retries.
 */
const RACE_RETRIES = 100;

/**
 * The single write algorithm (DESIGN principle 5): stamps meta, applies preconditions, validates, extracts
 * index values and asks the store for an atomic compare-and-set. Implements FHIR R4 http.html#create,
 * #update, #patch, #delete and their conditional forms (through the one ConditionalMatcher). Works on any
 * `ResourceStore`, including the transactional view a Bundle passes in.
 */
export class ResourceService {
  constructor(private readonly deps: ResourceServiceDeps) {}

  /**
   * The same service bound to another store view (a transaction's). Side effects of its writes (SearchParameter
   * activation) are queued on `afterCommit`, which whoever commits the view runs afterwards.
   */
  withStore(store: ResourceStore, afterCommit: AfterCommit = this.deps.afterCommit ?? new AfterCommit()): ResourceService {
    return new ResourceService({
      ...this.deps, store, afterCommit, conditional: this.deps.conditional.withStore(store), reads: this.deps.reads.withStore(store),
    });
  }

  /** Throws 400 with every error issue when the resource is invalid; returns warnings. */
  validate(resource: unknown, expectedType: string, expectedId?: string): Issue[] {
    if (!isJsonObject(resource)) throw badRequest('The body must be a JSON object holding a FHIR resource');
    if (resource.resourceType !== expectedType) {
      throw badRequest(
        `Resource type in the body (${String(resource.resourceType ?? 'none')}) does not match the URL (${expectedType})`,
        ['resourceType'],
      );
    }
    if (expectedId !== undefined) {
      if (resource.id === undefined) throw badRequest('The body must contain an id matching the URL for an update', [`${expectedType}.id`]);
      if (resource.id !== expectedId) throw badRequest(`Resource id in the body does not match the URL`, [`${expectedType}.id`]);
    }
    if (expectedType === 'Subscription' && resource.status !== 'off') {
      // Accepting an active Subscription would promise notifications that never come (issue 10, item 13).
      throw unprocessable("This server does not deliver Subscription notifications: only a Subscription with status 'off' can be stored", ['Subscription.status']);
    }
    const issues = this.deps.validator.validate(resource);
    if (this.deps.searchParameters) issues.push(...this.deps.searchParameters.check(resource));
    const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    if (errors.length > 0) throw invalid(issues);
    return issues;
  }

  /** Prepares a version (meta, JSON text, index values) without writing it. */
  prepare(resource: AnyResource, id: string, versionId: string, method: StoredVersion['method']): PreparedVersion {
    const lastUpdated = this.deps.clock().toISOString();
    const stamped = stampMeta(resource, id, versionId, lastUpdated);
    const version: StoredVersion = {
      resourceType: stamped.resourceType, id, versionId, lastUpdated, deleted: false, method, json: stringifyExact(stamped),
    };
    return { version, resource: stamped, index: this.deps.indexer.extract(stamped) };
  }

  /**
   * `prepare` for a resource parsed from a large body (fhir/json-slices.ts), without holding the event loop for
   * long: its JSON text is written in slices and its index rows are extracted by a worker (`offload`), or here if
   * none can. The version is the same as `prepare` gives.
   */
  async prepareLarge(resource: AnyResource, id: string, versionId: string, method: StoredVersion['method']): Promise<PreparedVersion> {
    const lastUpdated = this.deps.clock().toISOString();
    const stamped = stampMeta(resource, id, versionId, lastUpdated);
    const json = await stringifySliced(stamped);
    const version: StoredVersion = { resourceType: stamped.resourceType, id, versionId, lastUpdated, deleted: false, method, json };
    let index: PreparedVersion['index'] | undefined;
    if (this.deps.offload) {
      try {
        index = await this.deps.offload.extractIndex(stamped.resourceType, json);
      } catch (e) {
        if (e instanceof FhirError) throw e;
      }
    }
    return { version, resource: stamped, index: index ?? this.deps.indexer.extract(stamped) };
  }

  /**
   * Validates a create and prepares its first version under an id assigned by the caller, without writing.
   * Transaction Bundles do this for entries whose references are all known before taking the write lock.
   */
  prepareCreate(type: string, body: unknown, id: string): PreparedVersion {
    this.validate(body, type);
    return this.prepare(body as AnyResource, id, '1', 'POST');
  }

  /** `prepareCreate` for a resource parsed from a large body (see `prepareLarge`). */
  async prepareLargeCreate(type: string, body: unknown, id: string): Promise<PreparedVersion> {
    this.validate(body, type);
    return this.prepareLarge(body as AnyResource, id, '1', 'POST');
  }

  /** create (http.html#create), with `ifNoneExist` as conditional create (http.html#ccreate). */
  async create(type: string, body: unknown, opts: WriteOptions & { ifNoneExist?: Criteria } = {}): Promise<WriteResult> {
    if (opts.entry?.prepared) {
      this.assertWritable(opts.entry.prepared, opts);
      return this.commitCreate(opts.entry.prepared);
    }
    await this.resolveConditionalReferences(body, opts);
    this.validate(body, type);
    const id = opts.entry?.createId ?? this.deps.ids();
    const prepared = isSliced(body) ? await this.prepareLarge(body as AnyResource, id, '1', 'POST') : this.prepare(body as AnyResource, id, '1', 'POST');
    this.assertWritable(prepared, opts);
    if (!opts.ifNoneExist) return this.commitCreate(prepared);
    return this.serializedOn(type, opts.ifNoneExist, opts.restrict, 'If-None-Exist', async (match, svc) => {
      if (match) return { version: match, created: false, existing: true, touched: this.deps.touched.of(match) };
      return svc.commitCreate(prepared);
    });
  }

  /** update (http.html#update) including update-as-create with a client-assigned id; `ifMatch` gives 412 on mismatch. */
  async update(type: string, id: string, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    assertValidId(id);
    await this.resolveConditionalReferences(body, opts);
    this.validate(body, type, id);
    const resource = body as AnyResource;
    return this.racing(async () => {
      const current = await this.current(type, id, opts);
      if (opts.ifMatch !== undefined) {
        if (!current || current.deleted) throw preconditionFailed(`If-Match was given but ${type}/${id} does not exist`);
        if (current.versionId !== opts.ifMatch) {
          throw preconditionFailed(`Version mismatch: If-Match is ${opts.ifMatch} but the current version is ${current.versionId}`);
        }
      }
      const versionId = current ? String(Number(current.versionId) + 1) : '1';
      const prepared = isSliced(resource) ? await this.prepareLarge(resource, id, versionId, 'PUT') : this.prepare(resource, id, versionId, 'PUT');
      this.assertWritable(prepared, opts);
      await this.write(prepared, current?.versionId ?? null, opts.ifMatch !== undefined, current?.json.length);
      return { version: prepared.version, created: !current || current.deleted, touched: this.touchedOf(prepared) };
    });
  }

  /** Conditional update (http.html#cond-update): no match creates, one updates, several give 412. */
  async conditionalUpdate(type: string, criteria: Criteria, body: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    const bodyId = isJsonObject(body) && typeof body.id === 'string' ? body.id : undefined;
    return this.serializedOn(type, criteria, opts.restrict, 'conditional update', async (match, svc) => {
      if (match) {
        if (bodyId !== undefined && bodyId !== match.id) {
          throw badRequest('The resource id in the body does not match the resource found by the criteria', [`${type}.id`]);
        }
        return svc.update(type, match.id, isJsonObject(body) ? withId(body, match.id) : body, opts);
      }
      if (bodyId !== undefined) return svc.update(type, bodyId, body, opts);
      return svc.create(type, body, { restrict: opts.restrict, entry: opts.entry });
    });
  }

  /** patch with JSON Patch (http.html#patch); the patched resource is validated like an update. */
  async patch(type: string, id: string, operations: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    assertValidId(id);
    if (!Array.isArray(operations)) throw badRequest('A JSON Patch body must be an array of operations');
    return this.racing(async () => {
      const current = await this.current(type, id, opts);
      if (!current) throw notFound(`${type}/${id} is not known`);
      if (current.deleted) throw gone(`${type}/${id} has been deleted`);
      if (opts.ifMatch !== undefined && current.versionId !== opts.ifMatch) {
        throw preconditionFailed(`Version mismatch: If-Match is ${opts.ifMatch} but the current version is ${current.versionId}`);
      }
      const patched = applyJsonPatch(parseStored(current.json) as AnyResource, operations as Operation[]);
      this.validate(patched, type, id);
      const prepared = this.prepare(patched, id, String(Number(current.versionId) + 1), 'PATCH');
      this.assertWritable(prepared, opts);
      await this.write(prepared, current.versionId, opts.ifMatch !== undefined, current.json.length);
      return { version: prepared.version, created: false, touched: this.touchedOf(prepared) };
    });
  }

  /** Conditional patch (http.html#patch): the criteria must select exactly one resource. */
  async conditionalPatch(type: string, criteria: Criteria, operations: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    return this.serializedOn(type, criteria, opts.restrict, 'conditional patch', async (match, svc) => {
      if (!match) throw notFound('The conditional patch criteria match no resource');
      return svc.patch(type, match.id, operations, opts);
    });
  }

  /**
   * delete (http.html#delete): writes a tombstone as a new version. Deleting a missing or already deleted
   * resource succeeds without writing (the interaction is idempotent).
   */
  async delete(type: string, id: string, opts: WriteOptions = {}): Promise<DeleteResult> {
    assertValidId(id);
    return this.racing(async () => {
      const current = await this.current(type, id, opts, true);
      const { ifMatch } = opts;
      if (ifMatch !== undefined && (!current || current.deleted || current.versionId !== ifMatch)) {
        throw preconditionFailed(`Version mismatch: If-Match is ${ifMatch} but the current version is ${current?.deleted ? 'deleted' : current?.versionId ?? 'none'}`);
      }
      if (!current || current.deleted) return { touched: [] };
      const tombstone: StoredVersion = {
        resourceType: type, id, versionId: String(Number(current.versionId) + 1),
        lastUpdated: this.deps.clock().toISOString(), deleted: true, method: 'DELETE', json: tombstoneJson(opts.deleteStatus ?? 200),
      };
      await this.write({ version: tombstone, index: [] }, current.versionId, ifMatch !== undefined, current.json.length);
      return { tombstone, touched: [this.deps.touched.of(tombstone, current.json)] };
    });
  }

  /** Conditional delete (http.html#cdelete), single match: several give 412, none deletes nothing. */
  async conditionalDelete(type: string, criteria: Criteria, opts: WriteOptions = {}): Promise<DeleteResult> {
    return this.serializedOn(type, criteria, opts.restrict, 'conditional delete', async (match, svc) =>
      (match ? svc.delete(type, match.id, opts) : { touched: [] }));
  }

  /** Writes a prepared first version: 409 if the id is already used; runs the type's side effects after commit. */
  async commitCreate(prepared: PreparedVersion): Promise<WriteResult> {
    await this.write(prepared, null, false);
    return { version: prepared.version, created: true, touched: this.touchedOf(prepared) };
  }

  /** The audit's view of a version just written: its Patients come from the index rows it was written with, not its JSON again. */
  private touchedOf(prepared: PreparedVersion): TouchedResource {
    return this.deps.touched.ofIndexed(prepared.version, prepared.index);
  }

  /**
   * The current version (possibly a tombstone) of a resource about to be written, as the caller may see it: with a
   * restriction, a resource outside it (or missing) is undefined for a delete (nothing to delete) and 404 otherwise,
   * so it answers exactly as one that never existed; one inside it must also be writable (else 403).
   */
  private async current(type: string, id: string, opts: WriteOptions, forDelete = false): Promise<StoredVersion | undefined> {
    if (!opts.restrict?.(type)) {
      const v = await this.deps.store.read(type, id);
      if (v && !v.deleted) this.assertWritable({ version: v }, opts);
      return v;
    }
    let v: StoredVersion;
    try {
      v = await this.deps.reads.visible(type, id, opts.restrict);
    } catch (e) {
      if (forDelete && e instanceof FhirError && e.status === 404) return undefined;
      throw e;
    }
    if (!v.deleted) this.assertWritable({ version: v }, opts);
    return v;
  }

  /** 403 unless the version (its index rows, extracted when not given) satisfies what the caller may write of its type. */
  private assertWritable(w: { version: StoredVersion; index?: VersionWrite['index'] }, opts: WriteOptions): void {
    const clause = opts.writable?.(w.version.resourceType);
    if (!clause) return;
    // The matcher reads the rows and only the type and id of the resource: with rows at hand nothing is parsed again.
    const resource = w.index !== undefined
      ? { resourceType: w.version.resourceType, id: w.version.id }
      : JSON.parse(w.version.json) as { resourceType: string; id: string };
    if (!satisfies(clause, resource, this.deps.indexer, w.index)) {
      throw forbidden(`The access token may not write this ${w.version.resourceType}: it is outside the patient compartment or the criteria its scopes allow`);
    }
  }

  /**
   * Runs a conditional interaction's check-then-write through the ConditionalMatcher, with a service bound to
   * the serialized store view; side effects run once that view has committed.
   */
  private async serializedOn<T>(
    type: string, criteria: Criteria, restrict: Restriction | undefined, kind: ConditionalKind,
    act: (match: StoredVersion | undefined, svc: ResourceService) => Promise<T>,
  ): Promise<T> {
    const owner = this.deps.afterCommit === undefined;
    const hooks = this.deps.afterCommit ?? new AfterCommit();
    const result = await this.deps.conditional.within(type, criteria, restrict, kind, (match, tx) => act(match, this.withStore(tx, hooks)));
    if (owner) hooks.run();
    return result;
  }

  /**
   * Replaces every conditional reference (`Patient?identifier=sys|val`) in a Bundle entry's resource with the one
   * resource it matches under the caller's restriction (http.html#trules); 404 or 412 located at the reference.
   */
  private async resolveConditionalReferences(body: unknown, opts: WriteOptions): Promise<void> {
    if (!opts.entry?.conditionalReferences || !isJsonObject(body)) return;
    const found: { ref: string; at: string }[] = [];
    rewriteReferences(body, (ref, at) => {
      if (ref.includes('?')) found.push({ ref, at: at() });
      return undefined;
    });
    if (found.length === 0) return;
    const resolved = new Map<string, string>();
    for (const { ref, at } of found) {
      if (resolved.has(ref)) continue;
      try {
        const local = await this.deps.conditional.resolveReference(ref, opts.restrict);
        if (local !== undefined) resolved.set(ref, local);
      } catch (e) {
        if (!(e instanceof FhirError)) throw e;
        const where = `${String(body.resourceType)}.${at}`;
        throw new FhirError(e.status, { ...e.outcome, issue: e.outcome.issue.map((i) => ({ ...i, expression: [where] })) });
      }
    }
    rewriteReferences(body, (ref) => resolved.get(ref));
  }

  /** The one retry loop: a write without `If-Match` that lost a race re-reads the new current version and retries. */
  private async racing<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof VersionRetry)) throw e;
        if (n >= RACE_RETRIES) throw conflict('Too many concurrent updates of this resource; retry the request');
        // Let the writes that won settle before re-reading.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  /** `replacedSize`: the JSON length of the version being replaced, so that a store can replace a large one in steps. */
  private async write(prepared: VersionWrite, expected: string | null, clientPrecondition: boolean, replacedSize?: number): Promise<void> {
    try {
      const w: VersionWrite = { version: prepared.version, index: prepared.index };
      if (replacedSize !== undefined) w.replacedSize = replacedSize;
      await this.deps.store.write(w, expected);
    } catch (e) {
      if (e instanceof VersionConflict) {
        if (clientPrecondition) throw preconditionFailed(`${e.resourceType}/${e.id} was changed by someone else (now version ${e.actual ?? 'none'})`);
        if (expected === null && prepared.version.method === 'POST') throw conflict('Id collision; retry the request');
        throw new VersionRetry();
      }
      throw e;
    }
    const v = prepared.version;
    const activation = this.deps.searchParameters;
    if (v.resourceType === 'SearchParameter' && !v.deleted && activation) {
      const activate = (): void => void activation.activate(JSON.parse(v.json) as Record<string, unknown>);
      if (this.deps.afterCommit) this.deps.afterCommit.add(activate);
      else activate();
    }
  }
}

/** The body with another id; one parsed from a large body is still written in slices. */
function withId(body: Record<string, unknown>, id: string): Record<string, unknown> {
  const copy = { ...body, id };
  carrySliced(body, copy);
  return copy;
}

/** Internal signal: a write lost a race without a client precondition; the service re-reads and retries. */
class VersionRetry extends Error {}
