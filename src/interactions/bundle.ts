import { STATUS_CODES } from 'node:http';
import type { AccessEvent, Auditor } from '../audit/auditor.js';
import type { Decision } from '../auth/policy.js';
import { fullUrlOf } from '../fhir/bundle.js';
import { FhirError, badRequest, internalError, methodNotAllowed, outcomeOf } from '../fhir/outcome.js';
import { matchRoute } from '../http/route.js';
import type { RouteMatch } from '../http/route.js';
import { BundleService } from '../services/bundle-service.js';
import { planBundle } from '../services/bundle-plan.js';
import type { BundleScope, EntryRunner, ReadyEntry } from '../services/bundle-entry.js';
import type { PlannedEntry } from '../services/bundle-plan.js';
import type { Deps } from './deps.js';
import { runInteraction } from './pipeline.js';
import type { Hooks } from './pipeline.js';
import { returnPreference, writeResult } from './results.js';
import { INTERACTIONS, findInteraction } from './table.js';
import type { InteractionSpec } from './table.js';
import type { FhirRequest, FhirResult } from './types.js';

/** The outcome of one entry: its result plus where it lives, for the response Bundle. */
interface EntryOutcome {
  result: FhirResult;
  /** `Type/id` when the entry addressed or produced one resource. */
  target?: string;
}

/**
 * `POST [base]` with a batch or transaction Bundle (FHIR R4 http.html#transaction). Every entry runs
 * through the interaction table and `runInteraction`, so it gets its own access decision and audit record;
 * inside a transaction they run on the store's transaction view and the audit records are written once the
 * outcome is known (entries of a rolled-back transaction are recorded with the transaction's failure status).
 */
export async function bundle(req: FhirRequest, deps: Deps, _decision: Decision): Promise<FhirResult> {
  const plan = planBundle(req.body, { baseUrl: req.baseUrl, maxEntries: deps.config.maxBundleEntries });
  const service = new BundleService({
    store: deps.store, resources: deps.resources, search: deps.search, history: deps.history, ids: deps.ids,
    resourceTypes: deps.resourceTypes,
  });
  if (plan.kind === 'batch') {
    const outcomes = await service.batch(plan, entryRunner(req, deps, deps.hooks), (entry, e) => failedEntry(req, entry, e));
    return responseBundle(req, deps, 'batch-response', outcomes);
  }
  const auditor = new DeferredAuditor();
  let outcomes: EntryOutcome[];
  try {
    outcomes = await service.transaction(plan, entryRunner(req, deps, { policy: deps.hooks.policy, auditor }));
  } catch (e) {
    await auditor.flush(deps.hooks.auditor, e instanceof FhirError ? e.status : 500);
    throw e;
  }
  await auditor.flush(deps.hooks.auditor);
  return responseBundle(req, deps, 'transaction-response', outcomes);
}

/** Audit records held until the transaction's outcome is known. */
class DeferredAuditor implements Auditor {
  private readonly events: AccessEvent[] = [];

  async record(event: AccessEvent): Promise<void> {
    this.events.push(event);
  }

  /** Writes the held records; after a rollback every entry failed, whatever it answered on its own. */
  async flush(target: Auditor, failedStatus?: number): Promise<void> {
    for (const e of this.events.splice(0)) {
      await target.record(failedStatus !== undefined && e.status < 400 ? { ...e, status: failedStatus } : e);
    }
  }
}

/** Runs entries as FhirRequests through the table, on the scope's store view. */
function entryRunner(parent: FhirRequest, deps: Deps, hooks: Hooks): EntryRunner<EntryOutcome> {
  return async (entry, scope: BundleScope) => {
    const scoped: Deps = { ...deps, store: scope.store, resources: scope.resources, search: scope.search, history: scope.history };
    const { spec, route } = specFor(entry, deps);
    const req = entryRequest(parent, entry, spec, route);
    const result = await runInteraction(spec, req, scoped, hooks);
    return { result, target: targetOf(entry, route, result) };
  };
}

/** The table row an entry runs under; prepared and settled entries keep the row's name, scope and audit but swap the handler. */
function specFor(entry: ReadyEntry, deps: Deps): { spec: InteractionSpec; route: RouteMatch } {
  const work = entry.work;
  const method = entry.method === 'HEAD' ? 'GET' : entry.method;
  let route: RouteMatch;
  let row: InteractionSpec | undefined;
  try {
    route = matchRoute(entry.path, deps.resourceTypes);
    row = findInteraction(INTERACTIONS, route.shape, method);
  } catch (e) {
    throw work.kind === 'fail' ? work.error : e;
  }
  if (!row) {
    if (work.kind === 'fail') throw work.error;
    throw methodNotAllowed(`${entry.method} is not allowed on ${route.template}`, []);
  }
  if (row.name === 'batch' || row.name === 'transaction') throw badRequest('A Bundle entry cannot itself be a batch or transaction');
  const message = `Created ${route.resourceType ?? 'resource'}`;
  switch (work.kind) {
    case 'route':
      return { spec: row, route };
    case 'create':
      return { spec: { ...row, handle: async (req) => writeResult(req, 201, await work.commit(), { location: true, message }) }, route };
    case 'existing':
      return {
        spec: { ...row, handle: async (req) => writeResult(req, 200, work.version, { location: true, message: 'An existing resource matched ifNoneExist; nothing was created' }) },
        route,
      };
    case 'nothing-to-delete':
      return {
        spec: {
          ...row,
          handle: async (req) => returnPreference(req) === 'minimal'
            ? { status: 204 }
            : { status: 200, body: outcomeOf([{ severity: 'information', code: 'informational', diagnostics: 'Nothing to delete' }]) },
        },
        route,
      };
    case 'fail':
      return { spec: { ...row, handle: async () => { throw work.error; } }, route };
  }
}

function entryRequest(parent: FhirRequest, entry: ReadyEntry, spec: InteractionSpec, route: RouteMatch): FhirRequest {
  const headers: Record<string, string | undefined> = {};
  if (parent.headers.prefer !== undefined) headers.prefer = parent.headers.prefer;
  const c = entry.conditions;
  if (c.ifMatch !== undefined) headers['if-match'] = c.ifMatch;
  if (c.ifNoneMatch !== undefined) headers['if-none-match'] = c.ifNoneMatch;
  if (c.ifModifiedSince !== undefined) headers['if-modified-since'] = c.ifModifiedSince;
  if (c.ifNoneExist !== undefined && entry.work.kind === 'route') headers['if-none-exist'] = c.ifNoneExist;
  const req: FhirRequest = {
    requestId: parent.requestId, interaction: spec.name, method: entry.method === 'HEAD' ? 'GET' : entry.method,
    query: entry.query, headers, auth: parent.auth, baseUrl: parent.baseUrl, log: parent.log,
  };
  if (entry.body !== undefined) req.body = entry.body;
  if (route.resourceType) req.resourceType = route.resourceType;
  if (route.id) req.id = route.id;
  if (route.versionId) req.versionId = route.versionId;
  if (route.operation) req.operation = route.operation;
  if (route.compartment) req.compartment = route.compartment;
  return req;
}

function targetOf(entry: ReadyEntry, route: RouteMatch, result: FhirResult): string | undefined {
  const location = result.headers?.Location;
  if (location !== undefined) {
    const m = /([A-Za-z]+\/[A-Za-z0-9\-.]+)\/_history\/[^/]+$/.exec(location);
    if (m) return m[1];
  }
  if (route.shape === 'instance' || route.shape === 'version') return `${route.resourceType}/${route.id}`;
  return entry.work.kind === 'existing' ? `${entry.work.version.resourceType}/${entry.work.version.id}` : undefined;
}

/** A failed batch entry (http.html#transaction): its status and OperationOutcome; unknown errors become a generic 500. */
function failedEntry(req: FhirRequest, entry: PlannedEntry, e: unknown): EntryOutcome {
  if (e instanceof FhirError) return { result: { status: e.status, body: e.outcome } };
  req.log.error('batch entry failed', {
    requestId: req.requestId, entry: entry.index, error: e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : String(e),
  });
  const err = internalError(req.requestId);
  return { result: { status: err.status, body: err.outcome } };
}

const LAST_UPDATED = /"lastUpdated":"([^"]+)"/;

/**
 * The batch-response or transaction-response Bundle (bundle.html, http.html#transaction-response): one entry
 * per request entry in the original order. Stored resource text is spliced in as-is rather than re-parsed.
 */
function responseBundle(req: FhirRequest, deps: Deps, type: 'batch-response' | 'transaction-response', outcomes: EntryOutcome[]): FhirResult {
  const entries = outcomes.map(({ result, target }) => {
    const response: Record<string, unknown> = { status: `${result.status} ${STATUS_CODES[result.status] ?? ''}`.trim() };
    const h = result.headers ?? {};
    if (h.Location !== undefined) response.location = h.Location;
    if (h.ETag !== undefined) response.etag = h.ETag;
    let resourceText = result.bodyText;
    let lastModified = resourceText !== undefined ? LAST_UPDATED.exec(resourceText)?.[1] : undefined;
    const body = result.body as { resourceType?: unknown } | undefined;
    if (body !== undefined && resourceText === undefined) {
      if (body.resourceType === 'OperationOutcome') response.outcome = body;
      else resourceText = JSON.stringify(body);
    }
    if (lastModified === undefined && h['Last-Modified'] !== undefined) lastModified = new Date(h['Last-Modified']).toISOString();
    if (lastModified !== undefined) response.lastModified = lastModified;
    const parts: string[] = [];
    if (target !== undefined) parts.push(`"fullUrl":${JSON.stringify(fullUrlOf(req.baseUrl, ...split(target)))}`);
    if (resourceText !== undefined) parts.push(`"resource":${resourceText}`);
    parts.push(`"response":${JSON.stringify(response)}`);
    return `{${parts.join(',')}}`;
  });
  const head = JSON.stringify({ resourceType: 'Bundle', id: deps.ids(), type, timestamp: deps.clock().toISOString() });
  return { status: 200, bodyText: `${head.slice(0, -1)},"entry":[${entries.join(',')}]}` };
}

function split(target: string): [string, string] {
  const slash = target.indexOf('/');
  return [target.slice(0, slash), target.slice(slash + 1)];
}
