import { forbidden } from '../fhir/outcome.js';
import { parseHistoryParams } from '../services/history-service.js';
import type { HistoryOutcome } from '../services/history-service.js';
import type { FhirResult } from '../vocabulary/fhir-request.js';
import type { Handler } from './deps.js';

const answer = (h: HistoryOutcome): FhirResult => ({ status: 200, body: h.body, touched: h.touched });

/** history of one resource (FHIR R4 http.html#history), including its deletions; 404 outside the restriction. */
export const historyInstance: Handler = async (req, deps, decision) => {
  await deps.reads.visible(req.resourceType!, req.id!, decision.restrict);
  const params = parseHistoryParams(req.query, deps.config.defaultCount, deps.config.maxCount);
  return answer(await deps.history.history(req.baseUrl, { resourceType: req.resourceType, id: req.id }, params));
};

/** history of a type (FHIR R4 http.html#history). Not available under a compartment restriction. */
export const historyType: Handler = async (req, deps, decision) => {
  if (decision.restrict?.(req.resourceType!)) throw forbidden('Type-level history is not available with a patient-restricted access');
  const params = parseHistoryParams(req.query, deps.config.defaultCount, deps.config.maxCount);
  return answer(await deps.history.history(req.baseUrl, { resourceType: req.resourceType }, params));
};

/** history of the whole system (FHIR R4 http.html#history). Not available when any type is restricted. */
export const historySystem: Handler = async (req, deps, decision) => {
  const restrict = decision.restrict;
  if (restrict && [...deps.resourceTypes].some((t) => restrict(t) !== undefined)) {
    throw forbidden('System history is not available with a restricted access');
  }
  const params = parseHistoryParams(req.query, deps.config.defaultCount, deps.config.maxCount);
  return answer(await deps.history.history(req.baseUrl, {}, params));
};
