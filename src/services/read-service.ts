import { assertValidId } from '../fhir/ids.js';
import { gone, notFound } from '../fhir/outcome.js';
import { paramsOf, satisfies } from './restriction.js';
import type { Restriction } from '../vocabulary/access.js';
import type { Clause } from '../vocabulary/plan.js';
import type { ResourceStore, StoredVersion } from '../store/port.js';
import type { Indexer } from './ports.js';

/**
 * The parameters each restriction clause reads, worked out once per clause: a token's restriction clauses are cached
 * with its decision, so its every read would otherwise walk the same clause again.
 */
const clauseParams = new WeakMap<Clause, Set<string> | null>();
function paramsOfCached(clause: Clause): Set<string> | undefined {
  let params = clauseParams.get(clause);
  if (params === undefined) clauseParams.set(clause, (params = paramsOf(clause) ?? null));
  return params ?? undefined;
}

/**
 * The one read path (FHIR R4 http.html#read, #vread, #history): every read of one resource, of one of its
 * versions, or of its history asks here first whether the caller may see the resource at all.
 *
 * A resource outside the caller's restriction answers exactly like one that never existed (404, the same
 * OperationOutcome), also when it has been deleted, so neither 410 nor a version number leaks its existence.
 * Whether a resource is inside the restriction is decided on its current version (for a deleted one, on its last
 * version before the deletion), with the search oracle in memory on the parameters the restriction reads: the oracle
 * is the reference every store compiler is tested against, and a point read stays a point read. A restriction that
 * needs other resources (a chain or `_has` in a granular scope) is checked by a search by `_id` plus the restriction
 * instead (DESIGN principle 7).
 */
export class ReadService {
  constructor(private readonly store: ResourceStore, private readonly indexer: Indexer) {}

  /** The same service reading through another store view (a transaction's). */
  withStore(store: ResourceStore): ReadService {
    return new ReadService(store, this.indexer);
  }

  /** The current version (read): 404 when unknown or not visible, 410 when deleted. */
  async current(type: string, id: string, restrict?: Restriction): Promise<StoredVersion> {
    const v = await this.visible(type, id, restrict);
    if (v.deleted) throw gone(`${type}/${id} has been deleted`);
    return v;
  }

  /** One version (vread): 404 when the resource is not visible or the version unknown, 410 when it is a deletion. */
  async version(type: string, id: string, versionId: string, restrict?: Restriction): Promise<StoredVersion> {
    await this.visible(type, id, restrict);
    const unknown = () => notFound(`Version ${versionId} of ${type}/${id} is not known`);
    if (!/^\d{1,18}$/.test(versionId)) throw unknown();
    const v = await this.store.vread(type, id, versionId);
    if (!v) throw unknown();
    if (v.deleted) throw gone(`Version ${versionId} of ${type}/${id} is a deletion`);
    return v;
  }

  /**
   * The current version, possibly a deletion tombstone, when the caller may see the resource (instance history
   * and vread start here); 404 otherwise.
   */
  async visible(type: string, id: string, restrict?: Restriction): Promise<StoredVersion> {
    assertValidId(id);
    const missing = () => notFound(`${type}/${id} is not known`);
    const current = await this.store.read(type, id);
    if (!current) throw missing();
    const restriction = restrict?.(type);
    if (restriction) {
      const inside = this.inside(current, restriction);
      if (!(inside === true || (inside !== false && (await inside)))) throw missing();
    }
    return current;
  }

  /** Whether the resource is inside the restriction: judged at once, without a promise, when its current version tells. */
  private inside(current: StoredVersion, restriction: Clause): boolean | Promise<boolean> {
    // A restriction on ids alone (a patient's own Patient resource) is answered by the id, before any lookup.
    if (restriction.kind === 'ids') return restriction.ids.includes(current.id);
    const params = paramsOfCached(restriction);
    // One that reads nothing inside the resource is judged on its id, the same in every version: a deleted resource
    // needs no read of its version before the deletion.
    if (params !== undefined && params.size === 0) return this.judge(current, restriction, params);
    if (current.deleted) return this.insideBeforeDeletion(current, restriction, params);
    if (params === undefined) return this.insideBySearch(current, restriction);
    return this.judge(current, restriction, params);
  }

  /** The restriction judged on one version's content, with the search oracle in memory. */
  private judge(content: StoredVersion, restriction: Clause, params: Set<string> | undefined): boolean {
    // A clause that needs other resources cannot be proven on one resource.
    if (params === undefined) return false;
    // A restriction that reads nothing inside the resource (ids, alone or combined) needs only its type and id.
    const resource = params.size === 0 ? { resourceType: content.resourceType, id: content.id } : (JSON.parse(content.json) as { resourceType: string; id: string });
    return satisfies(restriction, resource, this.indexer, undefined, params);
  }

  /** A restriction with a chain or `_has` (a granular scope's): a search by `_id` plus the restriction. */
  private async insideBySearch(current: StoredVersion, restriction: Clause): Promise<boolean> {
    const hits = await this.store.search({
      types: [current.resourceType], where: { kind: 'and', clauses: [{ kind: 'ids', ids: [current.id] }, restriction] }, sort: [], count: 1, total: 'none',
    });
    return hits.items.length > 0;
  }

  /** A deleted resource is judged on its last version before the deletion. */
  private async insideBeforeDeletion(current: StoredVersion, restriction: Clause, params: Set<string> | undefined): Promise<boolean> {
    const content = await this.store.vread(current.resourceType, current.id, String(Number(current.versionId) - 1));
    return content !== undefined && !content.deleted && this.judge(content, restriction, params);
  }
}
