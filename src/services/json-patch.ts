import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { FhirError, badRequest, unprocessable } from '../fhir/outcome.js';
import { isJsonObject } from '../fhir/resource-json.js';
import type { AnyResource } from '../fhir/resource-json.js';

const UNAPPLICABLE = new Set([
  'TEST_OPERATION_FAILED', 'OPERATION_PATH_UNRESOLVABLE', 'OPERATION_FROM_UNRESOLVABLE', 'OPERATION_VALUE_OUT_OF_BOUNDS',
  'OPERATION_PATH_ILLEGAL_ARRAY_INDEX', 'OPERATION_PATH_CANNOT_ADD',
]);

/**
 * Applies RFC 6902 operations to `doc` in place (a copy would lose the numbers kept as sent, exact-json.ts; callers
 * pass a freshly parsed document); any failure (bad op, failed `test`, bad path) is a 422 per FHIR R4 http.html#patch. */
export function applyJsonPatch(doc: AnyResource, operations: Operation[]): AnyResource {
  const problem = jsonpatch.validate(operations, doc);
  if (problem) {
    // A well-formed patch that cannot apply to this resource is a processing failure (422); a malformed one is 400.
    if (UNAPPLICABLE.has(problem.name)) throw unprocessable(`JSON Patch cannot be applied: ${problem.name}`);
    throw badRequest(`Invalid JSON Patch: ${problem.name}`);
  }
  try {
    const result = jsonpatch.applyPatch(doc, operations, false, true).newDocument as unknown;
    if (!isJsonObject(result)) throw unprocessable('JSON Patch must produce a resource object');
    return result as AnyResource;
  } catch (e) {
    if (e instanceof FhirError) throw e;
    throw unprocessable('JSON Patch could not be applied');
  }
}
