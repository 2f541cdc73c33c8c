import { assertValidId } from '../fhir/ids.js';
import { gone, notFound } from '../fhir/outcome.js';
import { paramsOf, satisfies } from './restriction.js';
import type { Restriction } from '../vocabulary/access.js';
import type { Clause } from '../vocabulary/plan.js';
import type { ResourceStore, StoredVersion } from '../store/port.js';
import type { Indexer } from './ports.js';

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
    if (restriction && !(await this.inside(current, restriction))) throw missing();
    return current;
  }

  private async inside(current: StoredVersion, restriction: Clause): Promise<boolean> {
    const { resourceType: type, id } = current;
    const params = paramsOf(restriction);
    if (!current.deleted && params === undefined) {
      const hits = await this.store.search({
        types: [type], where: { kind: 'and', clauses: [{ kind: 'ids', ids: [id] }, restriction] }, sort: [], count: 1, total: 'none',
      });
      return hits.items.length > 0;
    }
    const content = current.deleted ? await this.store.vread(type, id, String(Number(current.versionId) - 1)) : current;
    if (!content || content.deleted) return false;
    // A restriction on ids alone (a patient's own Patient resource) needs no look inside the resource.
    const resource = params?.size === 0 ? { resourceType: type, id } : (JSON.parse(content.json) as { resourceType: string; id: string });
    return satisfies(restriction, resource, this.indexer, undefined, params);
  }
}
