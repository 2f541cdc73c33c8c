import type { Handler } from './deps.js';
import type { AuditAction, Interaction, ScopeLetter } from './types.js';
import { read, vread } from './read.js';
import { conditionalDelete, conditionalPatch, conditionalUpdate, create, patch, remove, update } from './write.js';
import { historyInstance, historySystem, historyType } from './history.js';
import { searchCompartment, searchSystem, searchType } from './search.js';
import { operation } from './operations.js';
import { metadata } from './metadata.js';
import { bundle } from './bundle.js';

/** HTTP methods FHIR REST uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The URL shapes under the FHIR base (FHIR R4 http.html#general). */
export type RouteShape =
  | 'system' | 'metadata' | 'system-history' | 'system-search' | 'system-operation'
  | 'type' | 'type-search' | 'type-history' | 'type-operation'
  | 'instance' | 'instance-history' | 'version' | 'instance-operation' | 'compartment';

/**
 * One row of the interaction table. Routing, authorization (scope letter), audit (action) and the
 * CapabilityStatement all read these rows, so they cannot drift apart (DESIGN principle 2).
 */
export interface InteractionSpec {
  name: Interaction;
  method: HttpMethod;
  shape: RouteShape;
  /** True for the conditional form (criteria in the URL). */
  conditional?: boolean;
  scope: ScopeLetter;
  audit: AuditAction | null;
  handle: Handler;
}

/** Every interaction Vesta serves. Later issues add rows (batch/transaction); nothing else needs to change. */
export const INTERACTIONS: InteractionSpec[] = [
  { name: 'capabilities', method: 'GET', shape: 'metadata', scope: null, audit: null, handle: metadata },
  { name: 'read', method: 'GET', shape: 'instance', scope: 'r', audit: 'R', handle: read },
  { name: 'vread', method: 'GET', shape: 'version', scope: 'r', audit: 'R', handle: vread },
  { name: 'update', method: 'PUT', shape: 'instance', scope: 'u', audit: 'U', handle: update },
  { name: 'update', method: 'PUT', shape: 'type', conditional: true, scope: 'u', audit: 'U', handle: conditionalUpdate },
  { name: 'patch', method: 'PATCH', shape: 'instance', scope: 'u', audit: 'U', handle: patch },
  { name: 'patch', method: 'PATCH', shape: 'type', conditional: true, scope: 'u', audit: 'U', handle: conditionalPatch },
  { name: 'delete', method: 'DELETE', shape: 'instance', scope: 'd', audit: 'D', handle: remove },
  { name: 'delete', method: 'DELETE', shape: 'type', conditional: true, scope: 'd', audit: 'D', handle: conditionalDelete },
  { name: 'history-instance', method: 'GET', shape: 'instance-history', scope: 'r', audit: 'R', handle: historyInstance },
  { name: 'history-type', method: 'GET', shape: 'type-history', scope: 's', audit: 'E', handle: historyType },
  { name: 'history-system', method: 'GET', shape: 'system-history', scope: 's', audit: 'E', handle: historySystem },
  { name: 'create', method: 'POST', shape: 'type', scope: 'c', audit: 'C', handle: create },
  { name: 'search-type', method: 'GET', shape: 'type', scope: 's', audit: 'E', handle: searchType },
  { name: 'search-type', method: 'POST', shape: 'type-search', scope: 's', audit: 'E', handle: searchType },
  { name: 'search-type', method: 'GET', shape: 'compartment', scope: 's', audit: 'E', handle: searchCompartment },
  { name: 'search-system', method: 'GET', shape: 'system', scope: 's', audit: 'E', handle: searchSystem },
  { name: 'search-system', method: 'POST', shape: 'system-search', scope: 's', audit: 'E', handle: searchSystem },
  // One route serves both Bundle types (the handler reads Bundle.type); both rows exist so the CapabilityStatement
  // lists both, and routing takes the first.
  { name: 'transaction', method: 'POST', shape: 'system', scope: null, audit: 'E', handle: bundle },
  { name: 'batch', method: 'POST', shape: 'system', scope: null, audit: 'E', handle: bundle },
  { name: 'operation', method: 'POST', shape: 'type-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'POST', shape: 'system-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'GET', shape: 'system-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'POST', shape: 'instance-operation', scope: 'r', audit: 'E', handle: operation },
];

/** Finds the row for a shape and method; `undefined` means 405 when the shape exists. */
export function findInteraction(table: readonly InteractionSpec[], shape: RouteShape, method: string): InteractionSpec | undefined {
  return table.find((s) => s.shape === shape && s.method === method);
}

/** Methods allowed on a shape (for the 405 Allow header). */
export function allowedMethods(table: readonly InteractionSpec[], shape: RouteShape): HttpMethod[] {
  return [...new Set(table.filter((s) => s.shape === shape).map((s) => s.method))];
}
