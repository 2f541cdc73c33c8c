import { CALENDAR_KEYWORD, XHTML_KEYWORD, isCalendarDate, xhtmlProblem } from './content-rules.js';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Issue } from '../fhir/outcome.js';
import { issuesFromAjv, RESOURCE_TYPE_KEYWORD } from './ajv-issues.js';
import { loadR4Schema, NESTED_RESOURCE_KEYWORD } from './r4-schema.js';
import { isR4ResourceType } from './resource-types.js';

/** Validates resources against the official FHIR R4 JSON schema (FHIR R4 json.html#schema), pruned to R4. */
export interface SchemaValidator {
  /** All schema issues of `resource` (an empty array when it conforms); never throws on any JSON input. */
  validate(resource: unknown): Issue[];
  /** How many resource types have been compiled so far (compilation is lazy, once per type). */
  readonly compiledTypes: number;
}

/** Bundles inside Bundles inside contained resources: deeper nesting is refused rather than risking the stack. */
const MAX_NESTING = 8;

/**
 * Raw ajv errors collected before validation stops. With `allErrors`, ajv appends a referenced schema's errors
 * with `concat`, which copies the whole list each time: n invalid array elements cost O(n²) (60,000 invalid
 * `category` entries took 19 s). Stopping at a fixed count bounds that cost to a constant and the rest to O(n).
 */
export const MAX_RAW_ERRORS = 1000;

/** What the generated code throws when it has collected more than {@link MAX_RAW_ERRORS} errors. */
interface TooManyErrors {
  vestaTooManyErrors: ErrorObject[];
}

function isTooMany(e: unknown): e is TooManyErrors {
  return typeof e === 'object' && e !== null && Array.isArray((e as Partial<TooManyErrors>).vestaTooManyErrors);
}

/**
 * Rewrites ajv's generated validation code so that every place that grows the error count throws once it
 * passes the limit. ajv names its error list `vErrors` and its count `errors` in every generated function
 * (ajv/lib/compile/names.ts); the test "stops after a bounded number of errors" fails if that ever changes.
 */
export function capErrors(code: string): string {
  const stop = `throw {vestaTooManyErrors: vErrors}`;
  return code
    .replaceAll('errors++;', `if(++errors>${MAX_RAW_ERRORS}){${stop}}`)
    .replaceAll('errors = vErrors.length;', `errors = vErrors.length;if(errors>${MAX_RAW_ERRORS}){${stop}}`);
}

/** Why `data` cannot be validated as a resource, or undefined when it names an R4 resource type. */
export function resourceTypeProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'A resource must be a JSON object';
  const type = (data as { resourceType?: unknown }).resourceType;
  if (type === undefined) return "The resource has no 'resourceType'";
  if (typeof type !== 'string') return "'resourceType' must be a string";
  if (!isR4ResourceType(type)) return `'${type.slice(0, 64)}' is not an R4 resource type`;
  return undefined;
}

/**
 * Creates a validator over the pruned R4 schema. Each resource type is compiled by ajv on first use and
 * cached for the life of the validator; resources nested in `contained`, `Bundle.entry.resource` and
 * `Parameters.parameter.resource` are validated against their own type through the same cache.
 */
export function createSchemaValidator(): SchemaValidator {
  const schema = loadR4Schema();
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    messages: false,
    validateSchema: false,
    addUsedSchema: false,
    code: { process: capErrors },
  });
  const cache = new Map<string, ValidateFunction>();
  let depth = 0;

  const compiled = (type: string): ValidateFunction => {
    let fn = cache.get(type);
    if (!fn) {
      fn = ajv.getSchema(`${schema.id}#/definitions/${type}`);
      if (!fn) throw new Error(`No schema definition for ${type}`);
      cache.set(type, fn);
    }
    return fn;
  };

  /** Validates one resource at `pointer`, returning ajv-shaped errors with absolute instance paths. */
  const check = (data: unknown, pointer: string): ErrorObject[] => {
    const problem = resourceTypeProblem(data);
    if (problem) {
      return [{ keyword: RESOURCE_TYPE_KEYWORD, instancePath: pointer, schemaPath: '#', params: {}, message: problem }];
    }
    const type = (data as { resourceType: string }).resourceType;
    if (depth >= MAX_NESTING) {
      const message = `Resources nested deeper than ${MAX_NESTING} levels are not accepted`;
      return [{ keyword: RESOURCE_TYPE_KEYWORD, instancePath: pointer, schemaPath: '#', params: {}, message }];
    }
    const fn = compiled(type);
    depth++;
    try {
      if (fn(data)) return [];
      const errors = fn.errors ?? [];
      return pointer === '' ? errors : errors.map((e) => ({ ...e, instancePath: pointer + e.instancePath }));
    } catch (e) {
      // A nested resource's paths are relative to it: make them absolute before the stop reaches the top.
      if (isTooMany(e) && pointer !== '') {
        throw { vestaTooManyErrors: e.vestaTooManyErrors.map((x) => ({ ...x, instancePath: pointer + x.instancePath })) };
      }
      throw e;
    } finally {
      depth--;
    }
  };

  ajv.addKeyword({
    keyword: NESTED_RESOURCE_KEYWORD,
    errors: 'full',
    validate: function nested(_schema: unknown, data: unknown, _parent?: unknown, cxt?: { instancePath: string }): boolean {
      const errors = check(data, cxt?.instancePath ?? '');
      (nested as { errors?: ErrorObject[] }).errors = errors;
      return errors.length === 0;
    },
  });
  ajv.addKeyword({ keyword: CALENDAR_KEYWORD, type: 'string', errors: false, validate: (_s: unknown, data: unknown) => isCalendarDate(data) });
  ajv.addKeyword({ keyword: XHTML_KEYWORD, type: 'string', errors: false, validate: (_s: unknown, data: unknown) => xhtmlProblem(data) === undefined });
  ajv.addSchema({ $id: schema.id, definitions: schema.definitions });

  return {
    validate(resource: unknown): Issue[] {
      const problem = resourceTypeProblem(resource);
      if (problem) return [{ severity: 'error', code: 'structure', diagnostics: problem, expression: ['resourceType'] }];
      const type = (resource as { resourceType: string }).resourceType;
      try {
        depth = 0;
        return issuesFromAjv(type, check(resource, ''));
      } catch (err) {
        if (isTooMany(err)) {
          const issues = issuesFromAjv(type, err.vestaTooManyErrors);
          issues.push({
            severity: 'error',
            code: 'too-costly',
            diagnostics: `Validation stopped after finding more than ${MAX_RAW_ERRORS} problems; fix the issues reported and submit again`,
            expression: [type],
          });
          return issues;
        }
        if (!(err instanceof RangeError)) throw err;
        // A pathologically deep document (e.g. extensions nested thousands deep) exhausts the stack.
        return [{ severity: 'error', code: 'too-costly', diagnostics: 'The resource is nested too deeply to validate', expression: [type] }];
      }
    },
    get compiledTypes(): number {
      return cache.size;
    },
  };
}
