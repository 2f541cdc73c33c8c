import { badRequest } from '../fhir/outcome.js';
import type { Clause } from '../search/plan.js';
import type { Handler } from './deps.js';
import type { FhirRequest } from './types.js';
import { strictHandling } from './results.js';

/** Query pairs of a search: the URL query plus, for `POST _search`, the form body (search.html#search). */
function searchQuery(req: FhirRequest): [string, string][] {
  if (req.method !== 'POST') return req.query;
  const form = typeof req.body === 'string' ? [...new URLSearchParams(req.body)] : [];
  return [...req.query, ...form];
}

/** search at type level (FHIR R4 http.html#search), GET or POST `_search`. */
export const searchType: Handler = async (req, deps, decision) => {
  const bodyText = await deps.search.searchText({
    types: [req.resourceType!], query: searchQuery(req), strict: strictHandling(req), baseUrl: req.baseUrl,
    linkPath: req.resourceType!, restrict: decision.restrict,
  });
  return { status: 200, bodyText };
};

/** search across types (FHIR R4 http.html#search): `_type` names the types; all types otherwise. */
export const searchSystem: Handler = async (req, deps, decision) => {
  const bodyText = await deps.search.searchText({
    types: [], query: searchQuery(req), strict: strictHandling(req), baseUrl: req.baseUrl, linkPath: '', restrict: decision.restrict,
  });
  return { status: 200, bodyText };
};

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
  const bodyText = await deps.search.searchText({
    types: [target], query: searchQuery(req), strict: strictHandling(req), baseUrl: req.baseUrl,
    linkPath: `Patient/${patientId}/${target}`, restrict,
  });
  return { status: 200, bodyText };
};
