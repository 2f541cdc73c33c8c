import type { Issue } from '../fhir/outcome.js';
import type { IndexValue } from '../vocabulary/index-values.js';
import type { Clause, SearchPlan } from '../vocabulary/plan.js';

/** Turns a resource into its search index values (src/search/extract.ts implements it). */
export type { Indexer } from '../search/index.js';

/** Index extraction off the event loop, for large resources (src/workers/worker-pool.ts implements it). */
export interface IndexOffload {
  /**
   * The index rows of the resource with this JSON text, the same as `Indexer.extract` gives for it. Rejects with
   * a FhirError or, when it cannot do the work, with another error: the caller then extracts on its own thread.
   */
  extractIndex(resourceType: string, json: string): Promise<IndexValue[]>;
}

/** Checks a resource; returns every issue found (errors and warnings) as data. */
export interface ResourceValidator {
  validate(resource: unknown): Issue[];
}

/** Parses queries into plans and builds compartment restrictions (src/search implements it). */
export interface SearchEngine {
  /** Parses a query for the given types (one for type-level search; several or none for system-level). */
  parse(types: string[], query: [string, string][], opts: { strict: boolean }): SearchPlan;
  /** The clause restricting `resourceType` to the patient compartment of `patientId`, if the type is in it. */
  compartment(resourceType: string, patientId: string): Clause | undefined;
  /** The search parameters, includes and revincludes really supported for a type. */
  capability(resourceType: string): SearchCapability;
}

/** What the CapabilityStatement says about search for one type (FHIR R4 capabilitystatement.html). */
export interface SearchCapability {
  params: { name: string; type: string; definition?: string; documentation?: string }[];
  include: string[];
  revinclude: string[];
}
