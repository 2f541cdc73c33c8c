import { versionFromEtag } from '../fhir/etag.js';
import { notFound } from '../fhir/outcome.js';
import type { StoredVersion } from '../store/port.js';
import type { Deps, Handler } from './deps.js';
import type { Decision } from '../auth/policy.js';
import type { FhirRequest, FhirResult } from './types.js';
import { readResult, versionHeaders } from './results.js';

/**
 * The current version under the access decision. A restricted read runs as a search by `_id` plus the
 * restriction (DESIGN principle 7), so the compartment is enforced by the same code path as searches;
 * a resource outside it looks like one that does not exist.
 */
async function readAllowed(req: FhirRequest, deps: Deps, decision: Decision): Promise<StoredVersion> {
  const type = req.resourceType!;
  const id = req.id!;
  const v = await deps.resources.readCurrent(type, id);
  const restriction = decision.restrict?.(type);
  if (restriction) {
    const hits = await deps.store.search({
      types: [type], where: { kind: 'and', clauses: [{ kind: 'ids', ids: [id] }, restriction] }, sort: [], count: 1, total: 'none',
    });
    if (hits.items.length === 0) throw notFound(`${type}/${id} is not known`);
  }
  return v;
}

/** Conditional read (http.html#cread): 304 when If-None-Match names the current version or it is not newer than If-Modified-Since. */
function notModified(req: FhirRequest, v: StoredVersion): FhirResult | undefined {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*' || versionFromEtag(inm) === v.versionId) return { status: 304, headers: versionHeaders(v) };
    return undefined;
  }
  const ims = req.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    // HTTP dates have second precision, so compare at that precision.
    if (!Number.isNaN(since) && Math.floor(Date.parse(v.lastUpdated) / 1000) * 1000 <= since) {
      return { status: 304, headers: versionHeaders(v) };
    }
  }
  return undefined;
}

/** read (FHIR R4 http.html#read). */
export const read: Handler = async (req, deps, decision) => {
  const v = await readAllowed(req, deps, decision);
  return notModified(req, v) ?? readResult(req, v, deps.elements);
};

/** vread (FHIR R4 http.html#vread). */
export const vread: Handler = async (req, deps, decision) => {
  await readAllowedOrDeleted(req, deps, decision);
  const v = await deps.resources.readVersion(req.resourceType!, req.id!, req.versionId!);
  return readResult(req, v, deps.elements);
};

/** Access check for vread and instance history: the resource may be deleted now, its history is still readable. */
export async function readAllowedOrDeleted(req: FhirRequest, deps: Deps, decision: Decision): Promise<void> {
  const type = req.resourceType!;
  const current = await deps.store.read(type, req.id!);
  if (!current) throw notFound(`${type}/${req.id} is not known`);
  if (decision.restrict?.(type) && !current.deleted) await readAllowed(req, deps, decision);
}
