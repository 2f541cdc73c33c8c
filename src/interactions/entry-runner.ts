import { badRequest, methodNotAllowed } from '../fhir/outcome.js';
import type { BundleScope, EntryCall, EntryRunner } from '../services/bundle-entry.js';
import type { FhirRequest } from '../vocabulary/fhir-request.js';
import type { Deps, Hooks, InteractionSpec } from './deps.js';
import { runInteraction } from './pipeline.js';
import { matchRoute } from './route.js';
import type { RouteMatch } from './route.js';
import { findInteraction } from './lookup.js';

/**
 * Runs Bundle entries as FhirRequests of the parent request's caller, each under its own row of the injected
 * interaction table and through the same pipeline as an HTTP request (access decision, handler, audit), on the
 * store view Bundle processing hands over.
 */
export function entryRunner(parent: FhirRequest, deps: Deps, hooks: Hooks): EntryRunner {
  // A Bundle's entries share one scope (the store for a batch, the transaction's view): its Deps are built once.
  let lastScope: BundleScope | undefined;
  let scoped: Deps = deps;
  return async (call: EntryCall, scope: BundleScope) => {
    const route = matchRoute(call.path, deps.resourceTypes);
    const method = call.method === 'HEAD' ? 'GET' : call.method;
    const spec = findInteraction(deps.table, route.shape, method);
    if (!spec) throw call.problem ?? methodNotAllowed(`${call.method} is not allowed on ${route.template}`, []);
    if (spec.name === 'batch' || spec.name === 'transaction') throw badRequest('A Bundle entry cannot itself be a batch or transaction');
    if (scope !== lastScope) {
      scoped = { ...deps, ...scope };
      lastScope = scope;
    }
    const problem = call.problem;
    // A problem found while settling the entry is raised inside the pipeline, so the attempt is decided on and audited.
    const load = problem ? async (): Promise<FhirRequest> => { throw problem; } : undefined;
    return runInteraction(spec, entryRequest(parent, call, spec, route), scoped, hooks, load);
  };
}

function entryRequest(parent: FhirRequest, call: EntryCall, spec: InteractionSpec, route: RouteMatch): FhirRequest {
  const headers: Record<string, string | undefined> = { ...call.headers };
  if (parent.headers.prefer !== undefined) headers.prefer = parent.headers.prefer;
  const req: FhirRequest = {
    requestId: parent.requestId, interaction: spec.name, method: call.method === 'HEAD' ? 'GET' : call.method,
    query: call.query, headers, auth: parent.auth, client: parent.client, baseUrl: parent.baseUrl, log: parent.log,
    entry: call.settlement,
  };
  if (call.body !== undefined) req.body = call.body;
  if (route.resourceType) req.resourceType = route.resourceType;
  if (route.id) req.id = route.id;
  if (route.versionId) req.versionId = route.versionId;
  if (route.operation) req.operation = route.operation;
  if (route.compartment) req.compartment = route.compartment;
  return req;
}
