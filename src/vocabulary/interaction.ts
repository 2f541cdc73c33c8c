/**
 * The names every layer uses for FHIR interactions: what they are called, which URL shapes reach them,
 * which SMART permission letter each needs and which AuditEvent action records it. Nothing here imports
 * any other part of Vesta.
 */

/**
 * FHIR R4 interaction codes (CapabilityStatement.rest.resource.interaction.code and system-level ones), plus
 * `smart-configuration`: the SMART discovery document under the FHIR base, which is not a FHIR interaction.
 */
export type Interaction =
  | 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create'
  | 'search-type' | 'search-system' | 'history-system' | 'capabilities' | 'batch' | 'transaction'
  | 'operation' | 'smart-configuration';

/** A SMART v2 permission letter (SMART App Launch 2.x scopes-and-launch-context: `c r u d s`). */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

/** The permission letter an interaction table row needs; null when it touches no resource data itself. */
export type ScopeLetter = Permission | null;

/** AuditEvent.action (C create, R read/vread, U update, D delete, E execute: search, operations). */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** HTTP methods FHIR REST uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The URL shapes under the FHIR base (FHIR R4 http.html#general). */
export type RouteShape =
  | 'system' | 'metadata' | 'smart-configuration' | 'system-history' | 'system-search' | 'system-operation'
  | 'type' | 'type-search' | 'type-history' | 'type-operation'
  | 'instance' | 'instance-history' | 'version' | 'instance-operation' | 'compartment';
