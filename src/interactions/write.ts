import { versionFromEtag } from '../fhir/etag.js';
import { badRequest, notFound, outcomeOf, preconditionFailed } from '../fhir/outcome.js';
import type { Handler } from './deps.js';
import type { FhirRequest, FhirResult } from './types.js';
import { returnPreference, writeResult } from './results.js';
import { etagOf } from '../fhir/etag.js';
import type { StoredVersion } from '../store/port.js';

/** The version named by If-Match, or undefined; a malformed If-Match is a 400. */
function ifMatch(req: FhirRequest): string | undefined {
  const raw = req.headers['if-match'];
  if (raw === undefined) return undefined;
  const v = versionFromEtag(raw);
  if (v === undefined) throw badRequest('If-Match must be a version ETag such as W/"3"');
  return v;
}

/** Search criteria of a conditional interaction, from the URL query (paging and format params removed). */
function criteria(req: FhirRequest): [string, string][] {
  const c = req.query.filter(([k]) => !['_format', '_pretty', '_summary', '_elements'].includes(k));
  if (c.length === 0) throw badRequest('A conditional interaction needs search criteria in the URL');
  return c;
}

/** Parses `If-None-Exist` (http.html#ccreate): a query string, optionally with a leading `Type?` or `?`. */
function ifNoneExist(req: FhirRequest): [string, string][] | undefined {
  const raw = req.headers['if-none-exist'];
  if (raw === undefined) return undefined;
  const qs = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : raw;
  const pairs = [...new URLSearchParams(qs)];
  if (pairs.length === 0) throw badRequest('If-None-Exist must hold search criteria such as identifier=http://x|123');
  return pairs;
}

/** create and conditional create (FHIR R4 http.html#create, #ccreate). */
export const create: Handler = async (req, deps) => {
  const r = await deps.resources.create(req.resourceType!, req.body, ifNoneExist(req));
  if (r.existing) return writeResult(req, 200, r.version, { location: true, message: 'An existing resource matched If-None-Exist; nothing was created' });
  return writeResult(req, 201, r.version, { location: true, message: `Created ${r.version.resourceType}/${r.version.id}` });
};

/** update, update-as-create (FHIR R4 http.html#update). */
export const update: Handler = async (req, deps) => {
  const r = await deps.resources.update(req.resourceType!, req.id!, req.body, ifMatch(req));
  return writeResult(req, r.created ? 201 : 200, r.version, {
    location: r.created, message: r.created ? 'Created by update' : 'Updated',
  });
};

/** conditional update (FHIR R4 http.html#cond-update). */
export const conditionalUpdate: Handler = async (req, deps) => {
  const r = await deps.resources.conditionalUpdate(req.resourceType!, criteria(req), req.body, ifMatch(req));
  return writeResult(req, r.created ? 201 : 200, r.version, {
    location: r.created, message: r.created ? 'Created by conditional update' : 'Updated',
  });
};

/** patch with JSON Patch (FHIR R4 http.html#patch). */
export const patch: Handler = async (req, deps) => {
  const r = await deps.resources.patch(req.resourceType!, req.id!, req.body, ifMatch(req));
  return writeResult(req, 200, r.version, { location: false, message: 'Patched' });
};

/** conditional patch (FHIR R4 http.html#patch): the criteria must select exactly one resource. */
export const conditionalPatch: Handler = async (req, deps) => {
  const matches = await deps.search.findMatches(req.resourceType!, criteria(req), 2);
  if (matches.length !== 1) {
    if (matches.length === 0) throw notFound('The conditional patch criteria match no resource');
    throw preconditionFailed('The conditional patch criteria match more than one resource');
  }
  const r = await deps.resources.patch(req.resourceType!, matches[0].id, req.body, ifMatch(req));
  return writeResult(req, 200, r.version, { location: false, message: 'Patched' });
};

function deleteResult(req: FhirRequest, tombstone: StoredVersion | undefined): FhirResult {
  const headers: Record<string, string> = tombstone ? { ETag: etagOf(tombstone.versionId) } : {};
  if (returnPreference(req) === 'minimal') return { status: 204, headers };
  const message = tombstone ? `Deleted ${tombstone.resourceType}/${tombstone.id}` : 'Nothing to delete';
  return { status: 200, headers, body: outcomeOf([{ severity: 'information', code: 'informational', diagnostics: message }]) };
}

/** delete (FHIR R4 http.html#delete): versioned; deleting again or a missing resource succeeds. */
export const remove: Handler = async (req, deps) => deleteResult(req, await deps.resources.delete(req.resourceType!, req.id!, ifMatch(req)));

/** conditional delete (FHIR R4 http.html#cdelete), single match. */
export const conditionalDelete: Handler = async (req, deps) =>
  deleteResult(req, await deps.resources.conditionalDelete(req.resourceType!, criteria(req)));
