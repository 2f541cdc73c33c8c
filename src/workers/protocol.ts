/** Messages between the main thread and a body worker (worker-pool.ts, body-worker.ts). */
import type { OperationOutcome } from 'fhir/r4.js';
import type { SlicePlan } from '../fhir/json-slices.js';
import type { SearchParamDef } from '../search/parameters.js';
import type { IndexValue } from '../vocabulary/index-values.js';

/** What a body worker is started with: nothing secret (the worker's environment is empty too). */
export interface BodyWorkerData {
  /** The public FHIR base: absolute references on it are indexed as `Type/id` (search/extract.ts). */
  baseUrl: string;
}

/** Work for a body worker. */
export type BodyRequest =
  /** Check JSON text as the main thread would (json-text.ts `checkJsonText`) and plan its pieces (json-slices.ts). */
  | { id: number; op: 'json'; text: string; maxDepth: number; chunk: number }
  /**
   * Index a resource from its JSON text. `defs` are the search parameters of its type as the main thread's registry
   * has them now; absent when they are the ones this worker was last sent for the type.
   */
  | { id: number; op: 'index'; resourceType: string; json: string; defs?: [string, SearchParamDef][] };

/** A body worker's answer: a plan, index rows (in pieces: JSON text, or the rows as such when JSON would alter a number), or a failure. */
export type BodyReply =
  | { id: number; plan: SlicePlan }
  | { id: number; rows: (string | IndexValue[])[] }
  | { id: number; fhirError: { status: number; outcome: OperationOutcome; headers?: Record<string, string> } }
  | { id: number; error: string };
