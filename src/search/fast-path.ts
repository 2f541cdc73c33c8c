/**
 * A fast evaluator for the simple FHIRPath shapes most search parameters use (`Patient.name`,
 * `Observation.value.as(Quantity)`, `(X.y as Period)`): a plain walk over the JSON guided by the R4 model.
 * fhirpath.js stays the reference; test/unit/search/fast-path.test.ts checks both agree on every official example.
 */
import { r4Model } from './fhir-model.js';
import type { Evaluator, TypedValue } from './typed-value.js';

const SIMPLE = /^[A-Za-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/;
const AS_CALL = /^(.*)\.(?:as|ofType)\(([A-Za-z]+)\)$/;
const AS_OP = /^\((.*) as ([A-Za-z]+)\)$/;
const BARE_AS_OP = /^(.*) as ([A-Za-z]+)$/;

type ModelType = string | { code: string } | undefined;

function typeName(t: ModelType): string | undefined {
  return typeof t === 'string' ? t : t?.code;
}

/** Where the definitions of the children of an element at `path` of type `type` live. */
function childScope(path: string, type: string): string {
  if (type === 'BackboneElement' || type === 'Element') return r4Model.pathsDefinedElsewhere[path] ?? path;
  return type;
}

/** FHIR type name of a choice suffix: `DateTime` → `dateTime`, `Quantity` → `Quantity`. */
function choiceTypeName(suffix: string): string {
  const lower = suffix[0].toLowerCase() + suffix.slice(1);
  return r4Model.type2Parent[lower] !== undefined && /^[a-z]/.test(lower) ? lower : suffix;
}

interface Step {
  prop: string;
  /** Set for a choice element: the `[x]` suffixes allowed, and the FHIR type name of each (choiceTypeName). */
  choices?: string[];
  choiceTypes?: string[];
  type?: string;
  path: string;
}

/** Resolves each dotted segment against the model; undefined when some segment is unknown. */
function plan(rootPath: string, rootType: string, segments: string[]): Step[] | undefined {
  const steps: Step[] = [];
  let scope = childScope(rootPath, rootType);
  for (const prop of segments) {
    const key = `${scope}.${prop}`;
    const t = typeName(r4Model.path2Type[key] as ModelType);
    if (t) {
      steps.push({ prop, type: t, path: key });
      scope = childScope(r4Model.pathsDefinedElsewhere[key] ?? key, t);
      continue;
    }
    const choices = r4Model.choiceTypePaths[key];
    if (!choices) return undefined;
    steps.push({ prop, choices, choiceTypes: choices.map(choiceTypeName), path: key });
    scope = ''; // nothing may follow a choice element in the shapes we accept
  }
  return steps;
}

/**
 * FHIRPath `ofType(name)` as a test of a value's type: true when the type is `name` (read as a FHIR type name) or
 * derives from it (`canonical` is a `uri`, `Age` a `Quantity`). Each type's answer is worked out once: the test
 * runs for every value a typed expression finds, on every write.
 */
function ofType(name: string): (type: string) => boolean {
  const ancestor = choiceTypeName(name);
  const known = new Map<string, boolean>();
  return (type) => {
    let answer = known.get(type);
    if (answer === undefined) {
      answer = false;
      for (let t: string | undefined = type; t; t = r4Model.type2Parent[t]) if (t === ancestor) answer = true;
      known.set(type, answer);
    }
    return answer;
  };
}

function pushValue(out: TypedValue[], v: unknown, type: string, path: string): void {
  if (v === null || v === undefined) return;
  out.push({ type: type.startsWith('System.') ? systemToFhir(type) : type, value: v, path });
}

function systemToFhir(t: string): string {
  return t === 'System.String' ? 'string' : t === 'System.Boolean' ? 'boolean' : 'decimal';
}

function walk(input: unknown, steps: Step[], i: number, out: TypedValue[]): void {
  if (input === null || typeof input !== 'object') return;
  const step = steps[i];
  const obj = input as Record<string, unknown>;
  if (step.choices) {
    for (let k = 0; k < step.choices.length; k++) {
      const v = obj[step.prop + step.choices[k]];
      if (v !== undefined) pushValue(out, v, step.choiceTypes![k], step.path);
    }
    return;
  }
  const v = obj[step.prop];
  if (v === undefined) return;
  const last = i === steps.length - 1;
  const items = Array.isArray(v) ? v : [v];
  for (const item of items) {
    if (last) pushValue(out, item, step.type ?? 'Element', step.path);
    else walk(item, steps, i + 1, out);
  }
}

/**
 * Compiles `expression` (relative to `base` when given) for the fast walker, or returns undefined when the
 * expression is not a plain dotted path with an optional final type filter.
 */
export function compileFastPath(expression: string, base?: string): Evaluator | undefined {
  let expr = expression.trim();
  let asType: string | undefined;
  const m = AS_CALL.exec(expr) ?? AS_OP.exec(expr) ?? BARE_AS_OP.exec(expr);
  if (m) {
    expr = m[1].trim();
    asType = m[2];
  }
  if (!SIMPLE.test(expr)) return undefined;
  const segs = expr.split('.');
  let rootPath: string;
  let rootType: string;
  if (base) {
    rootPath = base;
    const t = typeName(r4Model.path2Type[base] as ModelType);
    rootType = t ?? base; // a resource type is its own root
  } else {
    rootPath = segs.shift() ?? '';
    rootType = rootPath;
    if (r4Model.type2Parent[rootType] === undefined) return undefined;
  }
  if (segs.length === 0) return undefined;
  const steps = plan(rootPath, rootType, segs);
  if (!steps) return undefined;
  const typed = asType !== undefined ? ofType(asType) : undefined;
  if (!base) {
    const resourceType = rootPath;
    return (input) => {
      if ((input as { resourceType?: unknown } | null)?.resourceType !== resourceType) return [];
      const out: TypedValue[] = [];
      walk(input, steps, 0, out);
      return typed ? out.filter((v) => typed(v.type)) : out;
    };
  }
  return (input) => {
    const out: TypedValue[] = [];
    walk(input, steps, 0, out);
    return typed ? out.filter((v) => typed(v.type)) : out;
  };
}
