import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import {
  FhirError, badRequest, conflict, gone, invalid, notFound, preconditionFailed, unprocessable,
} from '../fhir/outcome.js';
import type { Issue } from '../fhir/outcome.js';
import { assertValidId } from '../fhir/ids.js';
import type { Clock, IdGenerator } from '../fhir/ids.js';
import { isJsonObject, stampMeta } from '../fhir/resource-json.js';
import type { AnyResource } from '../fhir/resource-json.js';
import { VersionConflict } from '../store/port.js';
import type { ResourceStore, StoredVersion, VersionWrite } from '../store/port.js';
import type { Indexer, MatchFinder, ResourceValidator } from './ports.js';
import type { SearchParameterActivation } from './search-parameter-activation.js';

/** A version ready to write: the stored form, its index values, and the stamped resource. */
export interface PreparedVersion extends VersionWrite {
  resource: AnyResource;
}

/** The outcome of a write: the stored version and whether it created the resource. */
export interface WriteResult {
  version: StoredVersion;
  /** True when this write created the resource (201), false for an update or an existing match (200). */
  created: boolean;
  /** True when a conditional create found an existing match and wrote nothing. */
  existing?: boolean;
  /** The resource as stored (already stamped), when one exists. */
  resource?: AnyResource;
}

/** Dependencies of the write algorithm, passed by the composition root. */
export interface ResourceServiceDeps {
  store: ResourceStore;
  validator: ResourceValidator;
  indexer: Indexer;
  clock: Clock;
  ids: IdGenerator;
  findMatches: MatchFinder;
  /** Registers SearchParameter resources written at run time (optional: absent in store-only tools). */
  searchParameters?: SearchParameterActivation;
}

/** Retries for a version race between two writers that did not send If-Match. */
const UNCONDITIONAL_RETRIES = 3;

/**
 * The single write algorithm (DESIGN principle 5): stamps meta, applies preconditions, validates, extracts
 * index values and asks the store for an atomic compare-and-set. Implements FHIR R4 http.html#create,
 * #update, #patch, #delete and their conditional forms. Works on any `ResourceStore`, including the
 * transactional view a Bundle passes in.
 */
export class ResourceService {
  constructor(private readonly deps: ResourceServiceDeps) {}

  /** The same service bound to another store view (used inside a transaction). */
  withStore(store: ResourceStore): ResourceService {
    return new ResourceService({ ...this.deps, store });
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
      resourceType: stamped.resourceType, id, versionId, lastUpdated, deleted: false, method, json: JSON.stringify(stamped),
    };
    return { version, resource: stamped, index: this.deps.indexer.extract(stamped) };
  }

  /** create (http.html#create), with `If-None-Exist` as conditional create. */
  async create(type: string, body: unknown, ifNoneExist?: [string, string][]): Promise<WriteResult> {
    const resource = body as AnyResource;
    this.validate(resource, type);
    if (ifNoneExist) {
      const matches = await this.deps.findMatches(type, ifNoneExist, 2);
      if (matches.length > 1) throw preconditionFailed('The If-None-Exist criteria match more than one resource');
      if (matches.length === 1) {
        return { version: matches[0], created: false, existing: true, resource: JSON.parse(matches[0].json) as AnyResource };
      }
    }
    return this.commitCreate(this.prepare(resource, this.deps.ids(), '1', 'POST'));
  }

  /**
   * Validates a create and prepares its first version under an id assigned by the caller, without writing.
   * Transaction Bundles do this for every entry before the write lock, then call `commitCreate`.
   */
  prepareCreate(type: string, body: unknown, id: string): PreparedVersion {
    this.validate(body, type);
    return this.prepare(body as AnyResource, id, '1', 'POST');
  }

  /** Writes a prepared first version: 409 if the id is already used; runs the type's side effects. */
  async commitCreate(prepared: PreparedVersion): Promise<WriteResult> {
    await this.write(prepared, null, false);
    return { version: prepared.version, created: true, resource: prepared.resource };
  }

  /** update (http.html#update) including update-as-create with a client-assigned id; `ifMatch` gives 412 on mismatch. */
  async update(type: string, id: string, body: unknown, ifMatch?: string): Promise<WriteResult> {
    assertValidId(id);
    this.validate(body, type, id);
    const resource = body as AnyResource;
    for (let attempt = 0; ; attempt++) {
      const current = await this.deps.store.read(type, id);
      if (ifMatch !== undefined) {
        if (!current || current.deleted) {
          throw preconditionFailed(`If-Match was given but ${type}/${id} does not exist`);
        }
        if (current.versionId !== ifMatch) {
          throw preconditionFailed(`Version mismatch: If-Match is ${ifMatch} but the current version is ${current.versionId}`);
        }
      }
      const nextVersion = current ? String(Number(current.versionId) + 1) : '1';
      const prepared = this.prepare(resource, id, nextVersion, 'PUT');
      try {
        await this.write(prepared, current?.versionId ?? null, ifMatch !== undefined);
        return { version: prepared.version, created: !current || current.deleted, resource: prepared.resource };
      } catch (e) {
        if (e instanceof VersionRetry && attempt < UNCONDITIONAL_RETRIES) continue;
        if (e instanceof VersionRetry) throw conflict(`Concurrent update of ${type}/${id}; retry the request`);
        throw e;
      }
    }
  }

  /** Conditional update (http.html#cond-update): 0 matches create, 1 updates, more give 412. */
  async conditionalUpdate(type: string, criteria: [string, string][], body: unknown, ifMatch?: string): Promise<WriteResult> {
    const matches = await this.deps.findMatches(type, criteria, 2);
    if (matches.length > 1) throw preconditionFailed('The conditional update criteria match more than one resource');
    const bodyId = isJsonObject(body) && typeof body.id === 'string' ? body.id : undefined;
    if (matches.length === 1) {
      const id = matches[0].id;
      if (bodyId !== undefined && bodyId !== id) {
        throw badRequest('The resource id in the body does not match the resource found by the criteria', [`${type}.id`]);
      }
      return this.update(type, id, isJsonObject(body) ? { ...body, id } : body, ifMatch);
    }
    if (bodyId !== undefined) return this.update(type, bodyId, body, ifMatch);
    return this.create(type, body);
  }

  /** patch with JSON Patch (http.html#patch); the patched resource is validated like an update. */
  async patch(type: string, id: string, operations: unknown, ifMatch?: string): Promise<WriteResult> {
    assertValidId(id);
    if (!Array.isArray(operations)) throw badRequest('A JSON Patch body must be an array of operations');
    for (let attempt = 0; ; attempt++) {
      const current = await this.readCurrent(type, id);
      if (ifMatch !== undefined && current.versionId !== ifMatch) {
        throw preconditionFailed(`Version mismatch: If-Match is ${ifMatch} but the current version is ${current.versionId}`);
      }
      const original = JSON.parse(current.json) as AnyResource;
      const patched = applyJsonPatch(original, operations as Operation[]);
      this.validate(patched, type, id);
      const prepared = this.prepare(patched, id, String(Number(current.versionId) + 1), 'PATCH');
      try {
        await this.write(prepared, current.versionId, ifMatch !== undefined);
        return { version: prepared.version, created: false, resource: prepared.resource };
      } catch (e) {
        if (e instanceof VersionRetry && attempt < UNCONDITIONAL_RETRIES) continue;
        if (e instanceof VersionRetry) throw conflict(`Concurrent update of ${type}/${id}; retry the request`);
        throw e;
      }
    }
  }

  /**
   * delete (http.html#delete): writes a tombstone as a new version. Deleting a missing or already deleted
   * resource succeeds without writing (the interaction is idempotent). Returns the tombstone if one was written.
   */
  async delete(type: string, id: string, ifMatch?: string): Promise<StoredVersion | undefined> {
    assertValidId(id);
    for (let attempt = 0; ; attempt++) {
      const current = await this.deps.store.read(type, id);
      if (ifMatch !== undefined && (!current || current.deleted || current.versionId !== ifMatch)) {
        throw preconditionFailed(`Version mismatch: If-Match is ${ifMatch} but the current version is ${current?.deleted ? 'deleted' : current?.versionId ?? 'none'}`);
      }
      if (!current || current.deleted) return undefined;
      const tombstone: StoredVersion = {
        resourceType: type, id, versionId: String(Number(current.versionId) + 1),
        lastUpdated: this.deps.clock().toISOString(), deleted: true, method: 'DELETE', json: '',
      };
      try {
        await this.write({ version: tombstone, index: [] }, current.versionId, ifMatch !== undefined);
        return tombstone;
      } catch (e) {
        if (e instanceof VersionRetry && attempt < UNCONDITIONAL_RETRIES) continue;
        if (e instanceof VersionRetry) throw conflict(`Concurrent update of ${type}/${id}; retry the request`);
        throw e;
      }
    }
  }

  /** Conditional delete (http.html#cdelete): single match only; several give 412. */
  async conditionalDelete(type: string, criteria: [string, string][]): Promise<StoredVersion | undefined> {
    const matches = await this.deps.findMatches(type, criteria, 2);
    if (matches.length > 1) throw preconditionFailed('The conditional delete criteria match more than one resource');
    if (matches.length === 0) return undefined;
    return this.delete(type, matches[0].id);
  }

  /** The current version of a resource: 404 when unknown, 410 when deleted. */
  async readCurrent(type: string, id: string): Promise<StoredVersion> {
    assertValidId(id);
    const v = await this.deps.store.read(type, id);
    if (!v) throw notFound(`${type}/${id} is not known`);
    if (v.deleted) throw gone(`${type}/${id} has been deleted`);
    return v;
  }

  /** One specific version (http.html#vread): 404 when unknown, 410 when that version is a deletion. */
  async readVersion(type: string, id: string, versionId: string): Promise<StoredVersion> {
    assertValidId(id);
    if (!/^\d{1,18}$/.test(versionId)) throw notFound(`Version ${versionId} of ${type}/${id} is not known`);
    const v = await this.deps.store.vread(type, id, versionId);
    if (!v) throw notFound(`Version ${versionId} of ${type}/${id} is not known`);
    if (v.deleted) throw gone(`Version ${versionId} of ${type}/${id} is a deletion`);
    return v;
  }

  private async write(
    prepared: VersionWrite,
    expected: string | null,
    clientPrecondition: boolean,
  ): Promise<void> {
    try {
      await this.deps.store.write({ version: prepared.version, index: prepared.index }, expected);
      if (prepared.version.resourceType === 'SearchParameter' && !prepared.version.deleted && this.deps.searchParameters) {
        this.deps.searchParameters.activate(JSON.parse(prepared.version.json) as Record<string, unknown>);
      }
    } catch (e) {
      if (e instanceof VersionConflict) {
        if (clientPrecondition) throw preconditionFailed(`${e.resourceType}/${e.id} was changed by someone else (now version ${e.actual ?? 'none'})`);
        if (expected === null && prepared.version.method === 'POST') throw conflict('Id collision; retry the request');
        throw new VersionRetry();
      }
      throw e;
    }
  }
}

/** Internal signal: a write lost a race without a client precondition; the service re-reads and retries. */
class VersionRetry extends Error {}

const UNAPPLICABLE = new Set([
  'TEST_OPERATION_FAILED', 'OPERATION_PATH_UNRESOLVABLE', 'OPERATION_FROM_UNRESOLVABLE', 'OPERATION_VALUE_OUT_OF_BOUNDS',
  'OPERATION_PATH_ILLEGAL_ARRAY_INDEX', 'OPERATION_PATH_CANNOT_ADD',
]);

/** Applies RFC 6902 operations; any failure (bad op, failed `test`, bad path) is a 422 per http.html#patch. */
function applyJsonPatch(doc: AnyResource, operations: Operation[]): AnyResource {
  const problem = jsonpatch.validate(operations, doc);
  if (problem) {
    // A well-formed patch that cannot apply to this resource is a processing failure (422); a malformed one is 400.
    if (UNAPPLICABLE.has(problem.name)) throw unprocessable(`JSON Patch cannot be applied: ${problem.name}`);
    throw badRequest(`Invalid JSON Patch: ${problem.name}`);
  }
  try {
    const result = jsonpatch.applyPatch(doc, operations, false, false).newDocument as unknown;
    if (!isJsonObject(result)) throw unprocessable('JSON Patch must produce a resource object');
    return result as AnyResource;
  } catch (e) {
    if (e instanceof FhirError) throw e;
    throw unprocessable('JSON Patch could not be applied');
  }
}
