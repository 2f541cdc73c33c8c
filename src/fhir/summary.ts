import type { ElementIndex } from './element-index.js';
import { badRequest } from './outcome.js';

/** `_summary` modes (FHIR R4 search.html#summary). */
export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

function markSubsetted(out: Record<string, unknown>): void {
  const meta = { ...((out.meta as Record<string, unknown> | undefined) ?? {}) };
  const tags = Array.isArray(meta.tag) ? [...(meta.tag as unknown[])] : [];
  tags.push({ ...SUBSETTED });
  meta.tag = tags;
  out.meta = meta;
}

/** Parses `_summary`; throws 400 for unknown modes. */
export function parseSummary(raw: string | undefined): SummaryMode | undefined {
  if (raw === undefined) return undefined;
  if (['true', 'text', 'data', 'count', 'false'].includes(raw)) return raw as SummaryMode;
  throw badRequest(`Invalid _summary value: must be one of true, text, data, count, false`, ['_summary']);
}

/** Parses `_elements` into top-level element names; throws 400 for malformed names. */
export function parseElements(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const n of names) {
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/.test(n)) throw badRequest(`Invalid _elements entry`, ['_elements']);
  }
  // `Patient.name` is accepted as `name`: elements apply to the top level.
  return names.map((n) => (n.includes('.') ? n.split('.')[1] : n));
}

/**
 * Applies `_summary` to one resource and marks it SUBSETTED when anything was removed.
 * `count` and `false` return the resource unchanged (count is handled by search).
 */
export function applySummary(resource: Record<string, unknown>, mode: SummaryMode, index: ElementIndex): Record<string, unknown> {
  if (mode === 'false' || mode === 'count') return resource;
  const type = String(resource.resourceType);
  const facts = index.get(type);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const el = index.elementOf(type, key);
    let keep: boolean;
    switch (mode) {
      case 'true':
        keep = ALWAYS.has(key) || !facts || facts.summary.has(el);
        break;
      case 'text':
        keep = ALWAYS.has(key) || key === 'text' || (facts?.mandatory.has(el) ?? false);
        break;
      case 'data':
        keep = key !== 'text';
        break;
    }
    if (keep) out[key] = value;
  }
  markSubsetted(out);
  return out;
}

/** Applies `_elements`: keeps the named top-level elements plus mandatory ones, marks SUBSETTED. */
export function applyElements(resource: Record<string, unknown>, elements: string[], index: ElementIndex): Record<string, unknown> {
  const type = String(resource.resourceType);
  const facts = index.get(type);
  const wanted = new Set(elements);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const el = index.elementOf(type, key);
    if (ALWAYS.has(key) || wanted.has(el) || wanted.has(key) || facts?.mandatory.has(el)) out[key] = value;
  }
  markSubsetted(out);
  return out;
}
