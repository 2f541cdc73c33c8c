import { STATUS_CODES } from 'node:http';
import { fullUrlOf } from '../fhir/bundle.js';
import { stringifyExact } from '../fhir/exact-json.js';
import { FhirError, internalError } from '../fhir/outcome.js';
import { planBundle } from '../services/bundle-plan.js';
import type { PlannedEntry } from '../services/bundle-plan.js';
import type { EntryOutcome } from '../services/bundle-entry.js';
import type { AccessEvent, Auditor } from '../vocabulary/access.js';
import type { FhirRequest, FhirResult } from '../vocabulary/fhir-request.js';
import type { Deps, Handler } from './deps.js';
import { entryRunner } from './entry-runner.js';

/**
 * `POST [base]` with a batch or transaction Bundle (FHIR R4 http.html#transaction). The Bundle service decides
 * what each entry is and in which order it runs; every entry runs through the interaction table and the
 * pipeline (entry-runner.ts), so it gets its own access decision and audit record. Inside a transaction the
 * audit records are written once the outcome is known (entries of a rolled-back transaction are recorded with
 * the transaction's failure status).
 */
export const bundle: Handler = async (req, deps, decision) => {
  const plan = planBundle(req.body, { baseUrl: req.baseUrl, maxEntries: deps.config.maxBundleEntries });
  if (plan.kind === 'batch') {
    const outcomes = await deps.bundles.batch(plan, entryRunner(req, deps, deps.hooks), (entry, e) => failedEntry(req, entry, e));
    return responseBundle(req, deps, 'batch-response', outcomes);
  }
  const auditor = new DeferredAuditor();
  let outcomes: EntryOutcome[];
  try {
    outcomes = await deps.bundles.transaction(plan, entryRunner(req, deps, { policy: deps.hooks.policy, auditor }), decision.restrict);
  } catch (e) {
    await auditor.flush(deps.hooks.auditor, e instanceof FhirError ? e.status : 500);
    throw e;
  }
  await auditor.flush(deps.hooks.auditor);
  return responseBundle(req, deps, 'transaction-response', outcomes);
};

/** Audit records held until the transaction's outcome is known. */
class DeferredAuditor implements Auditor {
  private readonly events: AccessEvent[] = [];

  async record(event: AccessEvent): Promise<void> {
    this.events.push(event);
  }

  /** Security events are not part of a transaction's outcome: none arise while entries run. */
  async recordSecurity(): Promise<void> {}

  /** Writes the held records; after a rollback every entry failed, whatever it answered on its own. */
  async flush(target: Auditor, failedStatus?: number): Promise<void> {
    for (const e of this.events.splice(0)) {
      await target.record(failedStatus !== undefined && e.status < 400 ? { ...e, status: failedStatus } : e);
    }
  }
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

/**
 * The batch-response or transaction-response Bundle (bundle.html, http.html#transaction-response): one entry
 * per request entry in the original order. Stored resource text is spliced in as-is rather than re-parsed.
 */
function responseBundle(req: FhirRequest, deps: Deps, type: 'batch-response' | 'transaction-response', outcomes: EntryOutcome[]): FhirResult {
  const entries = outcomes.map(({ result, target }) => {
    const response: Record<string, unknown> = { status: statusText(result.status) };
    const h = result.headers ?? {};
    if (h.Location !== undefined) response.location = h.Location;
    if (h.ETag !== undefined) response.etag = h.ETag;
    let resourceText = result.bodyText;
    const body = result.body as { resourceType?: unknown } | undefined;
    if (body !== undefined && resourceText === undefined) {
      if (body.resourceType === 'OperationOutcome') response.outcome = body;
      else resourceText = stringifyExact(body);
    }
    // The version a single-resource entry read or wrote (its ETag names it) gives lastModified at full precision.
    const version = h.ETag !== undefined && result.touched?.length === 1 ? result.touched[0] : undefined;
    if (version?.lastUpdated !== undefined) response.lastModified = version.lastUpdated;
    let text = '{';
    if (target !== undefined) text += `"fullUrl":${JSON.stringify(fullUrlOf(req.baseUrl, ...split(target)))},`;
    if (resourceText !== undefined) text += `"resource":${resourceText},`;
    return `${text}"response":${JSON.stringify(response)}}`;
  });
  const head = JSON.stringify({ resourceType: 'Bundle', id: deps.ids(), type, timestamp: deps.clock().toISOString() });
  return { status: 200, bodyText: `${head.slice(0, -1)},"entry":[${entries.join(',')}]}` };
}

const statusTexts = new Map<number, string>();

/** `Bundle.entry.response.status`: the code and its reason phrase (`201 Created`), built once per code. */
function statusText(status: number): string {
  let text = statusTexts.get(status);
  if (text === undefined) statusTexts.set(status, (text = `${status} ${STATUS_CODES[status] ?? ''}`.trim()));
  return text;
}

function split(target: string): [string, string] {
  const slash = target.indexOf('/');
  return [target.slice(0, slash), target.slice(slash + 1)];
}
