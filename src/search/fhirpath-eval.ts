/**
 * FHIRPath evaluation for search parameters (FHIR R4 fhirpath.html, searchparameter.html): each expression is
 * compiled once with the R4 model, and results come back as (FHIR type, JSON value) pairs so the extractor
 * can convert each datatype. `x.where(resolve() is T)` is evaluated without a resolver: it keeps references
 * whose literal target type is T, which is what every R4 parameter using that idiom means.
 */
import fhirpath from 'fhirpath';
import { r4FhirpathModel } from './fhir-model.js';
import { splitUnion } from './parameters.js';
import { compileFastPath } from './fast-path.js';
import type { Evaluator, TypedValue } from './typed-value.js';

export type { Evaluator, TypedValue } from './typed-value.js';

const RESOLVE_IS = /^\(?\s*(.*?)\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\)\s*\)?$/;

interface ResourceNodeLike {
  data: unknown;
  fhirNodeDataType?: string | null;
  path?: string | null;
  propName?: string | null;
  parentResNode?: { path?: string | null } | null;
}

function isNode(x: unknown): x is ResourceNodeLike {
  return typeof x === 'object' && x !== null && 'data' in x && 'fhirNodeDataType' in x;
}

function systemType(v: unknown): string {
  switch (typeof v) {
    case 'boolean': return 'boolean';
    case 'number': return 'decimal';
    case 'string': return 'string';
    default: return 'Element';
  }
}

/** Wraps raw fhirpath.js output into TypedValues, dropping empty primitives (extension-only). */
function toTyped(raw: unknown[]): TypedValue[] {
  const out: TypedValue[] = [];
  for (const r of raw) {
    if (isNode(r)) {
      if (r.data === null || r.data === undefined) continue;
      const type = r.fhirNodeDataType ?? systemType(r.data);
      // fhirpath.js gives a primitive's type as its path; the element path (for code bindings) is parent + name.
      const path = type === 'code' && r.parentResNode?.path && r.propName ? `${r.parentResNode.path}.${r.propName}` : r.path ?? '';
      out.push({ type, value: unwrapDecimal(r.data), path });
    } else if (r !== null && r !== undefined) {
      out.push({ type: systemType(r), value: r, path: '' });
    }
  }
  return out;
}

/** fhirpath.js wraps decimals in FP_Decimal; the index works on plain numbers. */
function unwrapDecimal(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return v;
}

/**
 * Rewrites the type casts of R4 search expressions to `ofType`: R4 writes `(x as T)` where x may repeat,
 * which fhirpath.js rejects (`as` needs a singleton); `ofType` keeps the same values without the error.
 */
export function castsToOfType(expression: string): string {
  return expression
    .replace(/\(([^()|]+?) as ([A-Za-z]+)\)/g, '$1.ofType($2)')
    .replace(/\.as\(([A-Za-z]+)\)/g, '.ofType($1)');
}

/** The literal target type of a Reference value (relative or absolute), if any. */
export function referenceTargetType(value: unknown): string | undefined {
  const ref = typeof value === 'object' && value !== null ? (value as { reference?: unknown }).reference : undefined;
  if (typeof ref !== 'string') return undefined;
  const seg = ref.split('/');
  const n = seg.length >= 4 && seg[seg.length - 2] === '_history' ? seg.length - 2 : seg.length;
  return n >= 2 ? seg[n - 2] : undefined;
}

function compileRaw(expression: string, base: string | undefined, fast: boolean): Evaluator {
  if (fast) {
    const f = compileFastPath(expression, base);
    if (f) return f;
  }
  const expr = castsToOfType(expression);
  const fn = fhirpath.compile(base ? { base, expression: expr } : expr, r4FhirpathModel, { resolveInternalTypes: false });
  // `%resource` (used by MolecularSequence params) is the resource being indexed, i.e. the input.
  return (input) => toTyped(fn(input as Record<string, unknown>, { resource: input }) as unknown[]);
}

/**
 * Compiles `expression` once (relative to element path `base` when given). With `fast`, simple dotted
 * paths skip fhirpath.js (same results, tested against it); everything else goes through fhirpath.js.
 */
export function compileExpression(expression: string, base?: string, fast = true): Evaluator {
  const parts = splitUnion(expression);
  const evaluators: Evaluator[] = [];
  const plain: string[] = [];
  for (const part of parts) {
    const m = RESOLVE_IS.exec(part);
    if (!m) {
      plain.push(part);
      continue;
    }
    const inner = compileRaw(m[1], base, fast);
    const type = m[2];
    evaluators.push((input) => inner(input).filter((v) => referenceTargetType(v.value) === type));
  }
  if (plain.length === 1 || !fast) {
    if (plain.length > 0) evaluators.push(compileRaw(plain.join(' | '), base, fast));
  } else {
    for (const p of plain) evaluators.push(compileRaw(p, base, fast));
  }
  if (evaluators.length === 1) return evaluators[0];
  return (input) => evaluators.flatMap((e) => e(input));
}
