import { badRequest, notFound, outcomeOf } from '../fhir/outcome.js';
import { isJsonObject } from '../fhir/resource-json.js';
import type { Handler } from './deps.js';

/** Pulls the resource out of a `$validate` body: the resource itself or a Parameters with a `resource` part. */
function resourceToValidate(body: unknown): unknown {
  if (isJsonObject(body) && body.resourceType === 'Parameters') {
    const parts = Array.isArray(body.parameter) ? (body.parameter as unknown[]) : [];
    const part = parts.find((p) => isJsonObject(p) && p.name === 'resource');
    if (!isJsonObject(part) || part.resource === undefined) throw badRequest('Parameters for $validate must have a "resource" part');
    return part.resource;
  }
  return body;
}

/**
 * `$validate` (FHIR R4 resource-operation-validate.html): 200 with an OperationOutcome listing every issue;
 * nothing is stored. The resource must be of the URL's type.
 */
const validate: Handler = async (req, deps) => {
  const resource = resourceToValidate(req.body);
  const issues = deps.validator.validate(resource);
  if (isJsonObject(resource) && resource.resourceType !== req.resourceType) {
    issues.unshift({
      severity: 'error', code: 'invalid', expression: ['resourceType'],
      diagnostics: `Resource type ${String(resource.resourceType)} does not match the URL (${req.resourceType})`,
    });
  }
  if (req.id !== undefined && isJsonObject(resource) && resource.id !== req.id) {
    issues.unshift({ severity: 'error', code: 'invalid', expression: [`${req.resourceType}.id`], diagnostics: 'Resource id does not match the URL' });
  }
  if (issues.length === 0) issues.push({ severity: 'information', code: 'informational', diagnostics: 'No issues found' });
  return { status: 200, body: outcomeOf(issues) };
};

/** Operations Vesta implements, by name (without `$`), and the levels they run at. */
export const OPERATIONS: Record<string, { handler: Handler; type: boolean; instance: boolean; system: boolean; methods: string[] }> = {
  validate: { handler: validate, type: true, instance: true, system: false, methods: ['POST'] },
};

/** Dispatches `$name` at type or instance level; unknown operations are 404. */
export const operation: Handler = async (req, deps, decision) => {
  const op = OPERATIONS[req.operation ?? ''];
  if (!op) throw notFound(`Operation $${req.operation} is not supported`);
  return op.handler(req, deps, decision);
};
