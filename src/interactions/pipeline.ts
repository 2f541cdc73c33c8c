import type { Auditor } from '../audit/auditor.js';
import type { AccessPolicy, InteractionContext } from '../auth/policy.js';
import { FhirError, forbidden } from '../fhir/outcome.js';
import type { Deps } from './deps.js';
import type { InteractionSpec } from './table.js';
import type { FhirRequest, FhirResult } from './types.js';

/** The cross-cutting hooks every interaction runs through. */
export interface Hooks {
  policy: AccessPolicy;
  auditor: Auditor;
}

/** The context the hooks see for a request. */
export function contextOf(req: FhirRequest): InteractionContext {
  const ctx: InteractionContext = { requestId: req.requestId, principal: req.auth, interaction: req.interaction };
  if (req.operation) ctx.operation = req.operation;
  if (req.resourceType) ctx.resourceType = req.resourceType;
  if (req.id && !req.compartment) ctx.id = req.id;
  if (req.compartment) ctx.compartmentPatient = req.compartment.id;
  else if (req.resourceType === 'Patient' && req.id) ctx.compartmentPatient = req.id;
  return ctx;
}

/**
 * Runs one interaction: load (body, credentials), access decision (exactly once, before), handler, audit (exactly once, after,
 * success or failure). The audit record is written before the response leaves; if it cannot be written,
 * the request fails rather than disclose data without a trail.
 */
export async function runInteraction(
  spec: InteractionSpec, initial: FhirRequest, deps: Deps, hooks: Hooks, load?: (req: FhirRequest) => Promise<FhirRequest>,
): Promise<FhirResult> {
  const started = Date.now();
  const recorded = new Date(started).toISOString();
  let context = contextOf(initial);
  let status = 500;
  try {
    // Loading (body, authentication) happens inside so that its failures (401, 413, 415) are audited too.
    const req = load ? await load(initial) : initial;
    context = contextOf(req);
    const decision = await hooks.policy.decide(context);
    if (!decision.allow) throw forbidden(decision.reason ?? 'Access denied');
    const result = await spec.handle(req, deps, decision);
    status = result.status;
    return result;
  } catch (e) {
    status = e instanceof FhirError ? e.status : 500;
    throw e;
  } finally {
    await hooks.auditor.record({ context, action: spec.audit, status, recorded, durationMs: Date.now() - started });
  }
}
