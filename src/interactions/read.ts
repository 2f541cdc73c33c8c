import { versionFromEtag } from '../fhir/etag.js';
import type { StoredVersion } from '../store/port.js';
import type { FhirRequest, FhirResult } from '../vocabulary/fhir-request.js';
import type { Handler } from './deps.js';
import { readResult, versionHeaders } from './results.js';

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

/** read (FHIR R4 http.html#read), under the caller's restriction (ReadService). */
export const read: Handler = async (req, deps, decision) => {
  const v = await deps.reads.current(req.resourceType!, req.id!, decision.restrict);
  // Both results are fresh objects: the touched list is added in place, no copy on the hottest path.
  const result = notModified(req, v) ?? readResult(req, v, deps.elements);
  result.touched = [deps.touched.of(v)];
  return result;
};

/** vread (FHIR R4 http.html#vread), under the caller's restriction (ReadService). */
export const vread: Handler = async (req, deps, decision) => {
  const v = await deps.reads.version(req.resourceType!, req.id!, req.versionId!, decision.restrict);
  return { ...readResult(req, v, deps.elements), touched: [deps.touched.of(v)] };
};
