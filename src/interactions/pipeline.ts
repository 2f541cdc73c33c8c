import { FhirError, forbidden, methodNotAllowed } from '../fhir/outcome.js';
import type { AccessEvent, Decision, InteractionContext, TouchedResource } from '../vocabulary/access.js';
import type { FhirRequest, FhirResult } from '../vocabulary/fhir-request.js';
import type { Permission } from '../vocabulary/interaction.js';
import type { Deps, Hooks, InteractionSpec } from './deps.js';
import { operationNeeds } from './operations.js';
import { READ_ONLY_TYPES } from './read-only-types.js';

/**
 * The permission letters a request needs, from its table row: the row's letter, plus `s` for conditional forms
 * (criteria in the URL or `If-None-Exist`: they search); operations take theirs from the operation table.
 */
function needs(spec: InteractionSpec, req: FhirRequest): { permissions: Permission[]; admin?: boolean; on?: string } {
  if (spec.name === 'operation') return operationNeeds(req.operation, req.method);
  const permissions: Permission[] = spec.scope === null ? [] : [spec.scope];
  const conditional = spec.conditional || (spec.name === 'create' && req.headers['if-none-exist'] !== undefined);
  if (conditional && !permissions.includes('s')) permissions.push('s');
  return { permissions };
}

/** The context the hooks see for a request. */
export function contextOf(spec: InteractionSpec, req: FhirRequest): InteractionContext {
  const { permissions, admin, on } = needs(spec, req);
  const ctx: InteractionContext = {
    requestId: req.requestId, principal: req.auth, interaction: req.interaction, permissions, client: req.client,
  };
  if (admin) ctx.admin = true;
  if (spec.public) ctx.public = true;
  if (req.operation) ctx.operation = req.operation;
  // An operation on one type that works on another (`Patient/1/$audit` reads AuditEvents) is decided on the latter.
  if (on) ctx.resourceType = on;
  else if (req.resourceType) ctx.resourceType = req.resourceType;
  if (req.id && !req.compartment) ctx.id = req.id;
  if (req.compartment) ctx.compartmentPatient = req.compartment.id;
  else if (req.resourceType === 'Patient' && req.id) ctx.compartmentPatient = req.id;
  return ctx;
}

/** The parameters of a search or operation as the client sent them, for the audit record's `entity.query`. */
function auditQuery(spec: InteractionSpec, req: FhirRequest): [string, string][] | undefined {
  const searching = spec.name === 'search-type' || spec.name === 'search-system' || spec.name === 'operation'
    || spec.name.startsWith('history');
  if (!searching) return undefined;
  const form = req.method === 'POST' && typeof req.body === 'string' ? [...new URLSearchParams(req.body)] : [];
  return [...req.query, ...form];
}

const NOTHING: readonly TouchedResource[] = Object.freeze([]);

/** Interactions that change resources. */
const WRITES: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete']);

/** Interactions whose response is one resource of the request's own type (or an OperationOutcome). */
const SINGLE_RESOURCE: ReadonlySet<string> = new Set(['read', 'vread', 'create', 'update', 'patch', 'delete']);

/**
 * The response as the caller may see it: the policy's view applied to its resource or to each resource of its
 * Bundle. Only responses that can carry a type the view changes are looked at, and parsed again only when they do.
 */
function redacted(spec: InteractionSpec, req: FhirRequest, result: FhirResult, redact: NonNullable<Decision['redact']>): FhirResult {
  const { types, view } = redact;
  if (SINGLE_RESOURCE.has(spec.name) && req.resourceType !== undefined && !types.has(req.resourceType)) return result;
  const text = result.bodyText;
  if (text !== undefined && ![...types].some((t) => text.includes(`"${t}"`))) return result;
  const body = (text !== undefined ? JSON.parse(text) : result.body) as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return result;
  let out = view(body);
  if (out.resourceType === 'Bundle' && Array.isArray(out.entry)) {
    out = { ...out, entry: (out.entry as Record<string, unknown>[]).map((e) => (e.resource ? { ...e, resource: view(e.resource as Record<string, unknown>) } : e)) };
  }
  const { bodyText: _dropped, ...rest } = result;
  return { ...rest, body: out };
}

/** 405 for a write to a read-only type (the attempt is still decided on and audited, as every request is). */
function refuseReadOnly(spec: InteractionSpec, req: FhirRequest): void {
  if (!WRITES.has(spec.name) || req.resourceType === undefined || !READ_ONLY_TYPES.has(req.resourceType)) return;
  throw methodNotAllowed(`${req.resourceType} is read-only: the audit trail is written by the server alone`, ['GET']);
}

/**
 * Runs one interaction: load (body, credentials), access decision (exactly once, before), handler, audit (exactly
 * once, after, success or failure), then the store's sync. The audit record is durable before the response leaves;
 * if it cannot be written, the request fails rather than disclose data without a trail.
 */
export async function runInteraction(
  spec: InteractionSpec, initial: FhirRequest, deps: Deps, hooks: Hooks, load?: (req: FhirRequest) => Promise<FhirRequest>,
): Promise<FhirResult> {
  const started = Date.now();
  let req = initial;
  let context: InteractionContext | undefined;
  let status = 500;
  let result: FhirResult | undefined;
  try {
    // Loading (body, authentication) happens inside so that its failures (401, 413, 415) are audited too.
    if (load) req = await load(initial);
    context = contextOf(spec, req);
    refuseReadOnly(spec, req);
    const decision = await hooks.policy.decide(context);
    // A write that could not be audited afterwards is refused before it starts.
    if (WRITES.has(spec.name) && hooks.auditor.healthy?.() === false) {
      throw new FhirError(503, [{ severity: 'error', code: 'transient', diagnostics: 'The audit trail cannot record right now; retry later' }], { 'Retry-After': '5' });
    }
    if (!decision.allow) throw forbidden(decision.reason ?? 'Access denied');
    result = await spec.handle(req, deps, decision);
    if (decision.redact) result = redacted(spec, req, result, decision.redact);
    status = result.status;
    return result;
  } catch (e) {
    status = e instanceof FhirError ? e.status : 500;
    throw e;
  } finally {
    if (!hooks.auditor.off) {
      const event: AccessEvent = {
        // When loading failed, the attempt is recorded with what the request said before it.
        context: context ?? contextOf(spec, req), action: spec.audit, status, recorded: new Date(started).toISOString(),
        durationMs: Date.now() - started, touched: result?.touched ?? NOTHING,
      };
      const query = auditQuery(spec, req);
      if (query) event.query = query;
      await hooks.auditor.record(event);
    }
    // Nothing leaves before the request's writes and its audit record are on stable storage (one shared flush).
    const flushing = deps.store.sync();
    if (flushing) await flushing;
  }
}
