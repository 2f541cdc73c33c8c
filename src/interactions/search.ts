import { badRequest } from '../fhir/outcome.js';
import type { SearchOutcome } from '../services/search-service.js';
import type { Clause } from '../vocabulary/plan.js';
import type { FhirRequest, FhirResult } from '../vocabulary/fhir-request.js';
import type { Handler } from './deps.js';
import { strictHandling } from './results.js';

/** Query pairs of a search: the URL query plus, for `POST _search`, the form body (search.html#search). */
function searchQuery(req: FhirRequest): [string, string][] {
  if (req.method !== 'POST') return req.query;
  const form = typeof req.body === 'string' ? [...new URLSearchParams(req.body)] : [];
  return [...req.query, ...form];
}

const answer = (s: SearchOutcome): FhirResult => ({ status: 200, bodyText: s.bodyText, touched: s.touched });

/** search at type level (FHIR R4 http.html#search), GET or POST `_search`. */
export const searchType: Handler = async (req, deps, decision) => answer(await deps.search.run({
  types: [req.resourceType!], query: searchQuery(req), strict: strictHandling(req), baseUrl: req.baseUrl,
  linkPath: req.resourceType!, restrict: decision.restrict,
}));

/** search across types (FHIR R4 http.html#search): `_type` names the types; all types otherwise. */
export const searchSystem: Handler = async (req, deps, decision) => answer(await deps.search.run({
  types: [], query: searchQuery(req), strict: strictHandling(req), baseUrl: req.baseUrl, linkPath: '', restrict: decision.restrict,
}));

/**
 * Compartment search (FHIR R4 compartmentdefinition.html#search): `Patient/123/Observation?...` is the
 * type search ANDed with the Patient compartment membership of 123.
 */
export const searchCompartment: Handler = async (req, deps, decision) => {
  const patientId = req.compartment!.id;
  const target = req.resourceType!;
  const membership: Clause | undefined = deps.searchEngine.compartment(target, patientId);
  if (!membership) throw badRequest(`${target} is not in the Patient compartment`);
  const restrict = (t: string): Clause | undefined => {
    const access = decision.restrict?.(t);
    return t === target ? (access ? { kind: 'and', clauses: [membership, access] } : membership) : access;
  };
  return answer(await deps.search.run({
    types: [target], query: searchQuery(req), strict: strictHandling(req), baseUrl: req.baseUrl,
    linkPath: `Patient/${patientId}/${target}`, restrict,
  }));
};
