import type { FhirError } from '../fhir/outcome.js';
import type { EntrySettlement, FhirResult } from '../vocabulary/fhir-request.js';
import type { ResourceStore } from '../store/port.js';
import type { EntryMethod } from './bundle-plan.js';
import type { ConditionalMatcher } from './conditional.js';
import type { HistoryService } from './history-service.js';
import type { ReadService } from './read-service.js';
import type { ResourceService } from './resource-service.js';
import type { SearchService } from './search-service.js';

/** The data services an entry runs against: bound to the store for a batch, to the transaction's view for a transaction. */
export interface BundleScope {
  store: ResourceStore;
  resources: ResourceService;
  reads: ReadService;
  search: SearchService;
  history: HistoryService;
  conditional: ConditionalMatcher;
}

/** One entry as it will run, once its URL and references are settled (FHIR R4 http.html#trules). */
export interface EntryCall {
  index: number;
  method: EntryMethod;
  /** Below the FHIR base, without a leading slash: `Patient`, `Patient/123`, `Patient/123/_history/2`. */
  path: string;
  query: [string, string][];
  /** The entry's conditional headers (`if-match`, `if-none-exist`...), lower-case. */
  headers: Record<string, string>;
  body?: unknown;
  settlement: EntrySettlement;
  /** A problem found while settling the entry: running it reports this error, so the attempt is still audited. */
  problem?: FhirError;
}

/**
 * Runs one entry through the interaction table and pipeline (access decision, handler, audit) on `scope`. The
 * interaction layer implements it; Bundle processing only decides what each entry is and in which order it runs.
 */
export type EntryRunner = (call: EntryCall, scope: BundleScope) => Promise<FhirResult>;

/** What one entry gave: its result and the resource it addressed or produced (`Type/id`), for the response Bundle. */
export interface EntryOutcome {
  result: FhirResult;
  target?: string;
}
