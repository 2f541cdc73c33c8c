import type { DeleteStatus } from '../fhir/tombstone.js';
import { etagOf, versionFromEtag } from '../fhir/etag.js';
import { badRequest, outcomeOf } from '../fhir/outcome.js';
import { ifNoneExistCriteria, urlCriteria } from '../services/conditional.js';
import type { DeleteResult, WriteOptions } from '../services/resource-service.js';
import type { Decision } from '../vocabulary/access.js';
import type { FhirRequest, FhirResult } from '../vocabulary/fhir-request.js';
import type { Handler } from './deps.js';
import { returnPreference, writeResult } from './results.js';

/** The version named by If-Match, or undefined; a malformed If-Match is a 400. */
function ifMatch(req: FhirRequest): string | undefined {
  const raw = req.headers['if-match'];
  if (raw === undefined) return undefined;
  const v = versionFromEtag(raw);
  if (v === undefined) throw badRequest('If-Match must be a version ETag such as W/"3"');
  return v;
}

/** What every write passes to the write algorithm: the caller's restriction, If-Match, and a Bundle entry's settlement. */
function options(req: FhirRequest, decision: Decision): WriteOptions {
  const opts: WriteOptions = {};
  if (decision.restrict) opts.restrict = decision.restrict;
  if (decision.writable) opts.writable = decision.writable;
  const version = ifMatch(req);
  if (version !== undefined) opts.ifMatch = version;
  if (req.entry) opts.entry = req.entry;
  return opts;
}

/** create and conditional create (FHIR R4 http.html#create, #ccreate). */
export const create: Handler = async (req, deps, decision) => {
  const raw = req.headers['if-none-exist'];
  const r = await deps.resources.create(req.resourceType!, req.body, {
    ...options(req, decision), ...(raw !== undefined ? { ifNoneExist: ifNoneExistCriteria(raw) } : {}),
  });
  const message = r.existing ? 'An existing resource matched If-None-Exist; nothing was created' : `Created ${r.version.resourceType}/${r.version.id}`;
  return { ...writeResult(req, r.existing ? 200 : 201, r.version, { location: true, message }), touched: [r.touched] };
};

/** update, update-as-create (FHIR R4 http.html#update). */
export const update: Handler = async (req, deps, decision) => {
  const r = await deps.resources.update(req.resourceType!, req.id!, req.body, options(req, decision));
  const result = writeResult(req, r.created ? 201 : 200, r.version, { location: r.created, message: r.created ? 'Created by update' : 'Updated' });
  return { ...result, touched: [r.touched] };
};

/** conditional update (FHIR R4 http.html#cond-update). */
export const conditionalUpdate: Handler = async (req, deps, decision) => {
  const r = await deps.resources.conditionalUpdate(req.resourceType!, urlCriteria(req.query), req.body, options(req, decision));
  const result = writeResult(req, r.created ? 201 : 200, r.version, {
    location: r.created, message: r.created ? 'Created by conditional update' : 'Updated',
  });
  return { ...result, touched: [r.touched] };
};

/** patch with JSON Patch (FHIR R4 http.html#patch). */
export const patch: Handler = async (req, deps, decision) => {
  const r = await deps.resources.patch(req.resourceType!, req.id!, req.body, options(req, decision));
  return { ...writeResult(req, 200, r.version, { location: false, message: 'Patched' }), touched: [r.touched] };
};

/** conditional patch (FHIR R4 http.html#patch): the criteria must select exactly one resource. */
export const conditionalPatch: Handler = async (req, deps, decision) => {
  const r = await deps.resources.conditionalPatch(req.resourceType!, urlCriteria(req.query), req.body, options(req, decision));
  return { ...writeResult(req, 200, r.version, { location: false, message: 'Patched' }), touched: [r.touched] };
};

/** The status a DELETE answers: 204 without a body when the client prefers a minimal answer, else 200 with an OperationOutcome. */
const deleteStatusOf = (req: FhirRequest): DeleteStatus => (returnPreference(req) === 'minimal' ? 204 : 200);

function deleteResult(req: FhirRequest, d: DeleteResult, status: DeleteStatus): FhirResult {
  const { tombstone } = d;
  const headers: Record<string, string> = tombstone ? { ETag: etagOf(tombstone.versionId) } : {};
  if (status === 204) return { status, headers, touched: d.touched };
  const message = tombstone ? `Deleted ${tombstone.resourceType}/${tombstone.id}` : 'Nothing to delete';
  return { status, headers, body: outcomeOf([{ severity: 'information', code: 'informational', diagnostics: message }]), touched: d.touched };
}

/** delete (FHIR R4 http.html#delete): versioned; deleting again or a missing resource succeeds. */
export const remove: Handler = async (req, deps, decision) => {
  const status = deleteStatusOf(req);
  return deleteResult(req, await deps.resources.delete(req.resourceType!, req.id!, { ...options(req, decision), deleteStatus: status }), status);
};

/** conditional delete (FHIR R4 http.html#cdelete), single match. */
export const conditionalDelete: Handler = async (req, deps, decision) => {
  const status = deleteStatusOf(req);
  return deleteResult(req, await deps.resources.conditionalDelete(req.resourceType!, urlCriteria(req.query), { ...options(req, decision), deleteStatus: status }), status);
};
