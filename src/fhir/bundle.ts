import type { StoredVersion } from '../vocabulary/versions.js';
import { etagOf } from './etag.js';
import { parseStored } from './exact-json.js';
import { deletionStatus } from './tombstone.js';

/** A Bundle.link entry. */
export interface BundleLink {
  relation: string;
  url: string;
}

/** The fullUrl of a resource on this server (FHIR R4 bundle.html#fullUrl). */
export const fullUrlOf = (baseUrl: string, type: string, id: string): string => `${baseUrl}/${type}/${id}`;

/**
 * A history Bundle entry (FHIR R4 http.html#history): deleted versions carry no resource and
 * `request.method = DELETE`; the others carry the resource as it was.
 */
export function historyEntry(baseUrl: string, v: StoredVersion): Record<string, unknown> {
  const entry: Record<string, unknown> = { fullUrl: fullUrlOf(baseUrl, v.resourceType, v.id) };
  if (!v.deleted) entry.resource = parseStored(v.json);
  entry.request = {
    method: v.method,
    url: v.method === 'POST' ? v.resourceType : `${v.resourceType}/${v.id}`,
  };
  entry.response = {
    // A DELETE answers 200 with an OperationOutcome or, with `Prefer: return=minimal`, 204: its tombstone says which.
    status: v.deleted ? deletionStatus(v) : v.versionId === '1' ? '201' : '200',
    etag: etagOf(v.versionId),
    lastModified: v.lastUpdated,
  };
  return entry;
}

/** Builds a Bundle of the given type (`history`, `searchset`, ...) with a fresh id and timestamp. */
export function bundleOf(
  type: string,
  entries: unknown[],
  links: BundleLink[],
  opts: { id: string; timestamp: string; total?: number },
): Record<string, unknown> {
  const b: Record<string, unknown> = { resourceType: 'Bundle', id: opts.id, meta: { lastUpdated: opts.timestamp }, type };
  if (opts.total !== undefined) b.total = opts.total;
  if (links.length > 0) b.link = links;
  // Only when there are entries: a `delete` afterwards would turn the object into a slow dictionary for JSON.stringify.
  if (entries.length > 0) b.entry = entries;
  return b;
}

/** Characters FHIR gives meaning in search values (`,` `|` `:` `$`) and `/`, left literal: they are safe in a query. */
const LITERAL = /%(2C|7C|3A|24|2F)/g;
const DECODED: Record<string, string> = { '2C': ',', '7C': '|', '3A': ':', '24': '$', '2F': '/' };

/**
 * Query string from ordered pairs, each name and value percent-encoded except FHIR's reserved separators, which
 * are written literally (`code=http://loinc.org|1234-5,x`) so that clients and the HL7 validator read the link as
 * the parameters used (FHIR R4 search.html#escaping). `&`, `=`, `+`, `#`, `%` and spaces stay encoded.
 */
export function queryString(pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${encodeQueryPart(k)}=${encodeQueryPart(v)}`).join('&');
}

/** What encodeURIComponent leaves alone, plus the literals above: a name or value made only of these is written as is. */
const WRITTEN_AS_IS = /^[A-Za-z0-9\-_.!~*'(),|:$/]*$/;

/** One name or value of {@link queryString}. Most (`identifier=http://x.org/mrn|123`) need no encoding: one test, no copy. */
export const encodeQueryPart = (s: string): string =>
  WRITTEN_AS_IS.test(s) ? s : encodeURIComponent(s).replace(LITERAL, (_m, hex: string) => DECODED[hex]!);
