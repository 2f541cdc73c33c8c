import { FhirError, badRequest, payloadTooLarge } from '../fhir/outcome.js';
import type { Issue } from '../fhir/outcome.js';
import { isJsonObject } from '../fhir/resource-json.js';

/** The two Bundle types `POST [base]` processes (FHIR R4 http.html#transaction). */
export type BundleKind = 'batch' | 'transaction';

/** `Bundle.entry.request.method` (FHIR R4 valueset-http-verb). */
export type EntryMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The conditional headers an entry may carry in `Bundle.entry.request` (bundle.html, BackboneElement request). */
export interface EntryConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifNoneExist?: string;
}

/** One entry of a batch or transaction after structural checks, before any id is assigned. */
export interface PlannedEntry {
  index: number;
  method: EntryMethod;
  /** The request URL below the FHIR base without a leading slash (`Patient/1`), or a fullUrl it points at. */
  path: string;
  query: [string, string][];
  fullUrl?: string;
  /** The resource of a POST or PUT, or the JSON Patch operations of a PATCH. */
  body?: unknown;
  conditions: EntryConditions;
  /** A problem found while planning: a batch answers it for this entry, a transaction fails with it. */
  problem?: FhirError;
}

/** A parsed batch or transaction Bundle. */
export interface BundlePlan {
  kind: BundleKind;
  entries: PlannedEntry[];
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** `Bundle.entry[i]`, the expression naming an entry in OperationOutcomes. */
export const entryPath = (index: number): string => `Bundle.entry[${index}]`;

/**
 * Checks the Bundle's shape and splits every entry's request (FHIR R4 bundle.html, http.html#transaction).
 * Bundle-level problems (not a Bundle, wrong type, too many entries) throw; entry-level problems (no
 * request, unsupported method, bad URL, missing resource, duplicate fullUrl) are kept on the entry.
 */
export function planBundle(body: unknown, opts: { baseUrl: string; maxEntries: number }): BundlePlan {
  if (!isJsonObject(body) || body.resourceType !== 'Bundle') {
    throw badRequest('POST to the base URL must carry a Bundle of type batch or transaction', ['Bundle']);
  }
  const kind = body.type;
  if (kind !== 'batch' && kind !== 'transaction') {
    throw badRequest(`Bundle.type must be batch or transaction, got '${String(kind).slice(0, 32)}'`, ['Bundle.type']);
  }
  const raw = body.entry ?? [];
  if (!Array.isArray(raw)) throw badRequest('Bundle.entry must be an array', ['Bundle.entry']);
  if (raw.length > opts.maxEntries) {
    throw payloadTooLarge(`The Bundle has ${raw.length} entries; this server accepts at most ${opts.maxEntries} per ${kind} (VESTA_MAX_BUNDLE_ENTRIES)`);
  }
  const seen = new Map<string, number>();
  const entries = raw.map((e: unknown, index): PlannedEntry => {
    const entry = planEntry(e, index, opts.baseUrl);
    if (entry.fullUrl !== undefined && !entry.problem) {
      const first = seen.get(entry.fullUrl);
      if (first !== undefined) {
        entry.problem = badRequest(`fullUrl duplicates the one of ${entryPath(first)}`, [`${entryPath(index)}.fullUrl`]);
      } else seen.set(entry.fullUrl, index);
    }
    return entry;
  });
  return { kind, entries };
}

function planEntry(e: unknown, index: number, baseUrl: string): PlannedEntry {
  const at = entryPath(index);
  const entry: PlannedEntry = { index, method: 'GET', path: '', query: [], conditions: {} };
  const fail = (msg: string, where: string, code: Issue['code'] = 'invalid'): PlannedEntry => {
    entry.problem = badRequest(msg, [`${at}${where}`], code);
    return entry;
  };
  if (!isJsonObject(e)) return fail('Each entry must be an object', '');
  if (e.fullUrl !== undefined) {
    if (typeof e.fullUrl !== 'string' || e.fullUrl.length === 0) return fail('fullUrl must be a non-empty string', '.fullUrl');
    entry.fullUrl = e.fullUrl;
  }
  const request = e.request;
  if (!isJsonObject(request)) return fail('The entry has no request; batch and transaction entries need request.method and request.url', '.request');
  const method = request.method;
  if (typeof method !== 'string' || !METHODS.has(method)) {
    return fail(`request.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE`, '.request.method', 'not-supported');
  }
  entry.method = method as EntryMethod;
  if (typeof request.url !== 'string' || request.url.length === 0) return fail('request.url is required', '.request.url');
  const target = splitUrl(request.url, baseUrl);
  if (target === undefined) return fail('request.url must be relative to this server\'s base', '.request.url');
  entry.path = target.path;
  entry.query = target.query;
  for (const key of ['ifMatch', 'ifNoneMatch', 'ifModifiedSince', 'ifNoneExist'] as const) {
    const v = request[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') return fail(`request.${key} must be a string`, `.request.${key}`);
    entry.conditions[key] = v;
  }
  switch (entry.method) {
    case 'POST':
    case 'PUT':
      if (!isJsonObject(e.resource)) return fail(`A ${entry.method} entry needs a resource`, '.resource', 'required');
      entry.body = e.resource;
      return entry;
    case 'PATCH': {
      const patch = patchOperations(e.resource);
      if (typeof patch === 'string') return fail(patch, '.resource', 'not-supported');
      entry.body = patch;
      return entry;
    }
    case 'GET':
    case 'HEAD':
    case 'DELETE':
      return entry;
  }
}

/** Splits an entry URL into a path below the base and its query; undefined for a URL on another server. */
function splitUrl(url: string, baseUrl: string): { path: string; query: [string, string][] } | undefined {
  let rest = url;
  if (rest.startsWith(`${baseUrl}/`) || rest === baseUrl) rest = rest.slice(baseUrl.length);
  else if (/^https?:\/\//.test(rest)) return undefined;
  else if (rest.startsWith('urn:')) return { path: rest, query: [] };
  const q = rest.indexOf('?');
  const path = (q >= 0 ? rest.slice(0, q) : rest).replace(/^\/+/, '');
  return { path, query: q >= 0 ? [...new URLSearchParams(rest.slice(q + 1))] : [] };
}

/** The JSON Patch of a PATCH entry, carried as a Binary (FHIR R4 http.html#patch); a string explains a refusal. */
function patchOperations(resource: unknown): unknown[] | string {
  if (!isJsonObject(resource) || resource.resourceType !== 'Binary') {
    return 'A PATCH entry must carry its JSON Patch as a Binary resource (FHIRPath Patch is not supported)';
  }
  const type = typeof resource.contentType === 'string' ? resource.contentType.split(';')[0].trim() : '';
  if (type !== 'application/json-patch+json') return 'The Binary of a PATCH entry must have contentType application/json-patch+json';
  if (typeof resource.data !== 'string') return 'The Binary of a PATCH entry has no data';
  try {
    const ops: unknown = JSON.parse(Buffer.from(resource.data, 'base64').toString('utf8'));
    return Array.isArray(ops) ? ops : 'The JSON Patch of a PATCH entry must be an array';
  } catch {
    return 'The Binary data of a PATCH entry is not base64-encoded JSON';
  }
}

/** Processing rank per http.html#trules: DELETE, then POST, then PUT/PATCH, then GET/HEAD. */
const RANK: Record<EntryMethod, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/** Entry indices in transaction processing order (http.html#trules); entries of the same rank keep Bundle order. */
export function processingOrder(entries: readonly PlannedEntry[]): number[] {
  return entries.map((e) => e.index).sort((a, b) => RANK[entries[a].method] - RANK[entries[b].method] || a - b);
}

/**
 * The same error with every issue located in entry `index`: expressions on the entry's resource
 * (`Patient.birthDate`) become `Bundle.entry[3].resource.birthDate`; others get `Bundle.entry[3]` added.
 */
export function atEntry(error: FhirError, index: number, resourceType?: string): FhirError {
  const at = entryPath(index);
  const issue = error.outcome.issue.map((i) => {
    const expr = i.expression ?? [];
    const located = expr.some((x) => x.startsWith(at));
    const mapped = expr.map((x) => {
      if (resourceType && (x === resourceType || x.startsWith(`${resourceType}.`))) return `${at}.resource${x.slice(resourceType.length)}`;
      return x;
    });
    const expression = located || mapped.some((x) => x.startsWith(at)) ? mapped : [at, ...mapped];
    return { ...i, expression };
  });
  return new FhirError(error.status, { ...error.outcome, issue }, error.headers);
}
