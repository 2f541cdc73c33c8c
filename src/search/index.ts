/**
 * The search module's public API (FHIR R4 search.html): parameter registry, normalization, index
 * extraction, query parsing into a backend-neutral plan, the in-memory matcher and plan printing.
 */
export type * from '../vocabulary/plan.js';
export { createSearchRegistry, modifiersForType, type SearchRegistry, type SearchParamDef, type SearchParamComponent } from './parameters.js';
export * from './normalize.js';
export { createIndexer, type Indexer, type IndexerOptions } from './extract.js';
export { parseSearch, type ParseOptions } from './parse.js';
export { patientCompartmentClause, compartmentParams } from './compartment.js';
export { matches, rangeMatches, memoryMatchContext, type MatchContext, type MatchResource } from './match.js';
export { printClause, printPlan } from './print.js';
export { expandValueSet, type Concept } from './valuesets.js';
