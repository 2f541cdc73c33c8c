import { badRequest, methodNotAllowed, notFound, outcomeOf } from '../fhir/outcome.js';
import { isJsonObject } from '../fhir/resource-json.js';
import type { ReindexJob } from '../services/reindex-service.js';
import type { Permission } from '../vocabulary/interaction.js';
import { READ_ONLY_TYPES } from './read-only-types.js';
import type { Handler } from './deps.js';
import { patientAudit, verifyAudit } from './audit-operations.js';

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

/**
 * `$reindex` (Vesta operation): POST at system or type level starts a background job re-extracting search
 * index values (after a SearchParameter was added) and answers 202 with the job's status URL in
 * Content-Location; GET `$reindex?job=<id>` reports progress.
 */
const reindex: Handler = async (req, deps) => {
  if (req.method === 'GET') {
    const id = req.query.find(([k]) => k === 'job')?.[1];
    if (!id) throw badRequest('GET $reindex needs the job parameter', ['job']);
    return { status: 200, body: jobParameters(deps.reindex.status(id)) };
  }
  const job = await deps.reindex.start(req.resourceType ? [req.resourceType] : []);
  return { status: 202, headers: { 'Content-Location': `${req.baseUrl}/$reindex?job=${encodeURIComponent(job.id)}` }, body: jobParameters(job) };
};

function jobParameters(job: ReindexJob): Record<string, unknown> {
  const parameter: Record<string, unknown>[] = [
    { name: 'job', valueString: job.id },
    { name: 'status', valueCode: job.status },
    { name: 'processed', valueInteger: job.processed },
    { name: 'total', valueInteger: job.total },
    { name: 'started', valueInstant: job.started },
  ];
  if (job.finished) parameter.push({ name: 'finished', valueInstant: job.finished });
  if (job.error) parameter.push({ name: 'error', valueString: job.error });
  return { resourceType: 'Parameters', parameter };
}

/** An operation Vesta implements: its handler, the levels it runs at and its HTTP methods. */
export interface OperationSpec {
  handler: Handler;
  type: boolean;
  instance: boolean;
  system: boolean;
  methods: string[];
  /** Canonical OperationDefinition url for the CapabilityStatement. */
  definition: string;
  /** The SMART permission letters it needs on the type (by HTTP method when they differ). */
  permissions: Readonly<Partial<Record<string, readonly Permission[]>>> & { default: readonly Permission[] };
  /** Administrative: only a system-level grant may run it. */
  admin?: boolean;
  /** The resource types it runs on (every type when absent). */
  types?: readonly string[];
  /** The type its letters apply to when not the URL's (`Patient/1/$audit` reads AuditEvents). */
  on?: string;
  /** It writes the resources of its type: not offered on read-only types. */
  writes?: boolean;
}

/** Operations Vesta implements, by name (without `$`). */
export const OPERATIONS: Record<string, OperationSpec> = {
  // Validating stores nothing and reads nothing but the body: the type's read letter is enough.
  validate: {
    handler: validate, type: true, instance: true, system: false, methods: ['POST'],
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    permissions: { default: ['r'] },
  },
  // Reindexing rewrites every index row of a type: an operator's job, so it needs a system-level grant.
  reindex: {
    handler: reindex, type: true, instance: false, system: true, methods: ['POST', 'GET'],
    definition: 'urn:vesta:OperationDefinition/reindex',
    permissions: { default: ['u'], GET: ['r'] }, admin: true, writes: true,
  },
  // Verifying the audit trail reads every record of it: an operator's or a privacy officer's system task.
  verify: {
    handler: verifyAudit, type: true, instance: false, system: false, methods: ['GET'], types: ['AuditEvent'],
    definition: 'urn:vesta:OperationDefinition/audit-verify',
    permissions: { default: ['r'] }, admin: true,
  },
  // A patient's accounting of disclosures is a search of AuditEvents: it needs the search letter on AuditEvent.
  audit: {
    handler: patientAudit, type: false, instance: true, system: false, methods: ['GET'], types: ['Patient'], on: 'AuditEvent',
    definition: 'urn:vesta:OperationDefinition/patient-audit',
    permissions: { default: ['s'] },
  },
};

/** The letters (and whether a system grant is needed) of `$name` called with `method`; none for unknown operations (they answer 404). */
export function operationNeeds(name: string | undefined, method: string): { permissions: Permission[]; admin?: boolean; on?: string } {
  const op = name !== undefined && Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
  if (!op) return { permissions: [] };
  const permissions = [...(op.permissions[method] ?? op.permissions.default)];
  return { permissions, ...(op.admin ? { admin: true } : {}), ...(op.on ? { on: op.on } : {}) };
}

/** Dispatches `$name` at system, type or instance level; unknown operations are 404, wrong level or method 405. */
export const operation: Handler = async (req, deps, decision) => {
  const op = Object.hasOwn(OPERATIONS, req.operation ?? '') ? OPERATIONS[req.operation!] : undefined;
  if (!op) throw notFound(`Operation $${req.operation} is not supported`);
  const level = req.id !== undefined ? 'instance' : req.resourceType !== undefined ? 'type' : 'system';
  if (!op[level]) throw notFound(`Operation $${req.operation} is not available at ${level} level`);
  const refused = op.types ? req.resourceType === undefined || !op.types.includes(req.resourceType)
    : op.writes === true && req.resourceType !== undefined && READ_ONLY_TYPES.has(req.resourceType);
  if (refused) {
    throw notFound(`Operation $${req.operation} is not available on ${req.resourceType ?? 'the system'}`);
  }
  if (!op.methods.includes(req.method)) throw methodNotAllowed(`$${req.operation} does not accept ${req.method}`, op.methods);
  return op.handler(req, deps, decision);
};
