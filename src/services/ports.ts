import type { IndexValue } from '../store/index-values.js';
import type { Issue } from '../fhir/outcome.js';
import type { StoredVersion } from '../store/port.js';

/** Turns a resource into its search index values (src/search/extract.ts implements it). */
export interface Indexer {
  /** All index values, or only those of the parameter codes in `only` (e.g. one `_include` parameter). */
  extract(resource: Record<string, unknown>, only?: ReadonlySet<string>): IndexValue[];
}

/** Checks a resource; returns every issue found (errors and warnings) as data. */
export interface ResourceValidator {
  validate(resource: unknown): Issue[];
}

/** Finds the current resources a conditional interaction's query selects (at most `limit`). */
export type MatchFinder = (resourceType: string, query: [string, string][], limit: number) => Promise<StoredVersion[]>;

/** Parses queries into plans and builds compartment restrictions (src/search implements it). */
export interface SearchEngine {
  /** Parses a query for the given types (one for type-level search; several or none for system-level). */
  parse(types: string[], query: [string, string][], opts: { strict: boolean }): import('../search/plan.js').SearchPlan;
  /** The clause restricting `resourceType` to the patient compartment of `patientId`, if the type is in it. */
  compartment(resourceType: string, patientId: string): import('../search/plan.js').Clause | undefined;
  /** The search parameters, includes and revincludes really supported for a type. */
  capability(resourceType: string): SearchCapability;
}

/** What the CapabilityStatement says about search for one type (FHIR R4 capabilitystatement.html). */
export interface SearchCapability {
  params: { name: string; type: string; definition?: string; documentation?: string }[];
  include: string[];
  revinclude: string[];
}
