import { CALENDAR_KEYWORD, XHTML_KEYWORD } from './content-rules.js';
import type { ErrorObject } from 'ajv';
import type { Issue } from '../fhir/outcome.js';

/** Keyword of the errors Vesta itself raises for a nested resource whose `resourceType` is missing or not R4. */
export const RESOURCE_TYPE_KEYWORD = 'resourceType';

/**
 * Turns a JSON Pointer (`/name/0/given/1`) under a resource of type `root` into a FHIRPath-style
 * location (`Patient.name[0].given[1]`), the form OperationOutcome.issue.expression uses (FHIR R4 fhirpath.html).
 */
export function pointerToExpression(root: string, pointer: string): string {
  if (pointer === '') return root;
  let out = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^(0|[1-9][0-9]*)$/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return out;
}

/** The primitive type a failing keyword belongs to, read from its schema path (`#/definitions/date/pattern` → `date`). */
function primitiveOf(schemaPath: string): string | undefined {
  const m = /#\/definitions\/([a-z][A-Za-z0-9]*)\//.exec(schemaPath);
  return m?.[1];
}

function param(error: ErrorObject, name: string): string {
  const value = (error.params as Record<string, unknown>)[name];
  if (Array.isArray(value)) return value.map((v) => String(v)).join(', ');
  return String(value);
}

/**
 * Maps one ajv error to an Issue with a plain-language diagnostic; the offending value is never echoed
 * because diagnostics may be logged and values may be PHI.
 */
function toIssue(root: string, error: ErrorObject): Issue | undefined {
  const at = pointerToExpression(root, error.instancePath);
  const kind = primitiveOf(error.schemaPath);
  const issue = (code: Issue['code'], diagnostics: string, expression = at): Issue => ({
    severity: 'error',
    code,
    diagnostics,
    expression: [expression],
  });
  switch (error.keyword) {
    case 'additionalProperties': {
      // The name comes from the client: bound it so a huge key cannot bloat the OperationOutcome.
      const name = param(error, 'additionalProperty').slice(0, 64);
      return issue('structure', `Unknown element '${name}' in ${at}`, `${at}.${name}`);
    }
    case 'required': {
      const name = param(error, 'missingProperty');
      return issue('required', `Missing required element ${at}.${name}`, `${at}.${name}`);
    }
    case 'type':
      return issue('structure', `Invalid type for ${at}: expected ${kind ?? param(error, 'type')}`);
    case 'pattern':
      return issue('value', `Invalid value for ${at}: must match ${kind ? `the FHIR ${kind} format ` : ''}${param(error, 'pattern')}`);
    case 'enum':
      return issue('code-invalid', `Invalid code for ${at}: must be one of ${param(error, 'allowedValues')}`);
    case 'const':
      return issue('code-invalid', `Invalid value for ${at}: must be ${param(error, 'allowedValue')}`);
    case 'minimum':
    case 'maximum':
      return issue('value', `Invalid value for ${at}: must be ${param(error, 'comparison')} ${param(error, 'limit')}`);
    case 'minLength':
      return issue('value', `Invalid value for ${at}: must not be empty`);
    case 'minItems':
      return issue('structure', `${at} must not be an empty array (omit the element instead)`);
    case CALENDAR_KEYWORD:
      return issue('value', `Invalid value for ${at}: not a real calendar date`);
    case XHTML_KEYWORD:
      return issue('value', `Invalid narrative at ${at}: the XHTML is not allowed (narrative.html#xhtml)`);
    case RESOURCE_TYPE_KEYWORD:
      return issue('structure', `${error.message ?? 'Invalid resourceType'} at ${at}`);
    case 'oneOf':
    case 'anyOf':
    case 'if':
      // Branch errors already say what is wrong; the combinator adds only noise.
      return undefined;
    default:
      return issue('structure', `Invalid content at ${at} (${error.keyword})`);
  }
}

/** Maps ajv errors to Issues, one per distinct problem, dropping combinator noise (oneOf/anyOf) and duplicates. */
export function issuesFromAjv(root: string, errors: readonly ErrorObject[]): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const error of errors) {
    const issue = toIssue(root, error);
    if (!issue) continue;
    const key = `${issue.code}|${issue.diagnostics}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  if (out.length === 0 && errors.length > 0) {
    const first = errors[0] as ErrorObject;
    out.push({
      severity: 'error',
      code: 'structure',
      diagnostics: `Content at ${pointerToExpression(root, first.instancePath)} matches none of the allowed forms`,
      expression: [pointerToExpression(root, first.instancePath)],
    });
  }
  return out;
}
