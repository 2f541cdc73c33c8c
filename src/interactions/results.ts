import { etagOf, httpDate } from '../fhir/etag.js';
import { parseStored } from '../fhir/exact-json.js';
import { outcomeOf } from '../fhir/outcome.js';
import type { Issue } from '../fhir/outcome.js';
import type { ElementIndex } from '../fhir/element-index.js';
import { applyElements, applySummary, parseElements, parseSummary } from '../fhir/summary.js';
import type { StoredVersion } from '../store/port.js';
import type { FhirRequest, FhirResult } from '../vocabulary/fhir-request.js';

/** `Prefer: return=...` (FHIR R4 http.html#ops). */
export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

/** Reads the `return` preference of the Prefer header; representation is the default. */
export function returnPreference(req: FhirRequest): ReturnPreference {
  const m = /(?:^|[;,\s])return\s*=\s*"?(minimal|representation|OperationOutcome)"?/i.exec(req.headers['prefer'] ?? '');
  if (!m) return 'representation';
  const v = m[1].toLowerCase();
  return v === 'minimal' ? 'minimal' : v === 'operationoutcome' ? 'OperationOutcome' : 'representation';
}

/** True when `Prefer: handling=strict` asks for errors on unknown search parameters (search.html#errors). */
export function strictHandling(req: FhirRequest): boolean {
  return /(?:^|[;,\s])handling\s*=\s*"?strict"?/i.test(req.headers['prefer'] ?? '');
}

/** The first value of a query parameter. */
export const queryValue = (req: FhirRequest, name: string): string | undefined => req.query.find(([k]) => k === name)?.[1];

/** Version headers of a stored version: ETag and Last-Modified (http.html#versioning). */
export function versionHeaders(v: StoredVersion): Record<string, string> {
  return { ETag: etagOf(v.versionId), 'Last-Modified': httpDate(v.lastUpdated) };
}

/** Location of a version: `base/Type/id/_history/n` (http.html#create). */
export const locationOf = (baseUrl: string, v: StoredVersion): string =>
  `${baseUrl}/${v.resourceType}/${v.id}/_history/${v.versionId}`;

/**
 * A read-style result: the stored JSON text as-is when no `_summary`/`_elements` applies (no parse or
 * stringify on the hot path), otherwise the subsetted resource.
 */
export function readResult(req: FhirRequest, v: StoredVersion, elements: ElementIndex): FhirResult {
  const headers = versionHeaders(v);
  const summary = parseSummary(queryValue(req, '_summary'));
  const wanted = parseElements(queryValue(req, '_elements'));
  if ((!summary || summary === 'false' || summary === 'count') && !wanted) return { status: 200, headers, bodyText: v.json };
  let resource = parseStored(v.json) as Record<string, unknown>;
  if (summary && summary !== 'false' && summary !== 'count') resource = applySummary(resource, summary, elements);
  else if (wanted) resource = applyElements(resource, wanted, elements);
  return { status: 200, headers, body: resource };
}

/** A write result honouring `Prefer: return` (http.html#ops): resource, nothing, or an OperationOutcome. */
export function writeResult(
  req: FhirRequest, status: number, v: StoredVersion, opts: { location: boolean; warnings?: Issue[]; message: string },
): FhirResult {
  const headers = versionHeaders(v);
  if (opts.location) headers.Location = locationOf(req.baseUrl, v);
  switch (returnPreference(req)) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return {
        status, headers,
        body: outcomeOf([{ severity: 'information', code: 'informational', diagnostics: opts.message }, ...(opts.warnings ?? [])]),
      };
    case 'representation':
      return { status, headers, bodyText: v.json };
  }
}
