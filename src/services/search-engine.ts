import type { Config } from '../config.js';
import { parseSearch } from '../search/parse.js';
import { patientCompartmentClause } from '../search/compartment.js';
import type { SearchRegistry } from '../search/parameters.js';
import type { SearchCapabilities } from '../vocabulary/plan.js';
import type { SearchCapability, SearchEngine } from './ports.js';

/** The parameters every resource type supports (FHIR R4 search.html#all), declared on each type. */
const COMMON_PARAMS: readonly { name: string; type: string; definition: string }[] = ['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source'].map((name) => ({
  name, type: name === '_lastUpdated' ? 'date' : name === '_profile' || name === '_source' ? 'uri' : 'token',
  definition: `http://hl7.org/fhir/SearchParameter/Resource-${name.slice(1)}`,
}));

/** Modifiers this server really implements per parameter type (advertised in the CapabilityStatement). */
const INCLUDE_TARGETS = (registry: SearchRegistry, type: string): string[] =>
  [...registry.forType(type).values()].filter((p) => p.type === 'reference' && !p.code.startsWith('_')).map((p) => `${type}:${p.code}`);

/**
 * The SearchEngine port on top of the search module: parsing with the configured paging limits,
 * compartment clauses, and the capability description derived from the same registry.
 */
export function createSearchEngine(
  registry: SearchRegistry, config: Pick<Config, 'baseUrl' | 'defaultCount' | 'maxCount'> & Partial<Pick<Config, 'searchMaxValues'>>, capabilities: SearchCapabilities,
): SearchEngine {
  const revIncludes = new Map<string, string[]>();
  for (const source of registry.resourceTypes) {
    for (const p of registry.forType(source).values()) {
      if (p.type !== 'reference' || p.code.startsWith('_')) continue;
      const targets = p.targets.length > 0 ? p.targets : registry.resourceTypes;
      for (const t of targets) {
        let list = revIncludes.get(t);
        if (!list) revIncludes.set(t, (list = []));
        list.push(`${source}:${p.code}`);
      }
    }
  }
  const chaining = `Chaining${capabilities.reverseChains ? ' and _has are' : ' is'} supported, up to ${capabilities.maxChainDepth} link${capabilities.maxChainDepth === 1 ? "" : "s"}.`;
  return {
    parse: (types, query, opts) =>
      parseSearch(registry, types, query, {
        baseUrl: config.baseUrl, strict: opts.strict, defaultCount: config.defaultCount, maxCount: config.maxCount, capabilities,
        ...(config.searchMaxValues !== undefined ? { maxValues: config.searchMaxValues } : {}),
      }),
    compartment: (resourceType, patientId) => patientCompartmentClause(registry, resourceType, patientId),
    capability: (type): SearchCapability => {
      if (type === 'Resource') return { params: COMMON_PARAMS.map((p) => ({ ...p })), include: [], revinclude: [] };
      // Every type lists the common parameters too: clients and the HL7 validator read a type's own list only.
      const params = [...COMMON_PARAMS.map((p) => ({ ...p })), ...[...registry.forType(type).values()]
        .filter((p) => p.expression !== undefined && !p.code.startsWith('_'))
        .filter((p) => p.type !== 'composite' || capabilities.composite)
        .map((p) => {
          const parts: string[] = [];
          if (p.modifiers.length > 0) parts.push(`Modifiers: ${p.modifiers.map((m) => `:${m}`).join(', ')}.`);
          if (p.comparators.length > 0) parts.push(`Prefixes: ${p.comparators.join(', ')}.`);
          if (p.type === 'reference') parts.push(chaining);
          return { name: p.code, type: p.type, definition: p.url, documentation: parts.join(' ') || undefined };
        })];
      return { params, include: INCLUDE_TARGETS(registry, type), revinclude: revIncludes.get(type) ?? [] };
    },
  };
}
