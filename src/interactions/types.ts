import type { AuthContext } from '../auth/context.js';
import type { Logger } from 'winston';

/** FHIR R4 interaction codes (CapabilityStatement.rest.resource.interaction.code and system-level ones). */
export type Interaction =
  | 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create'
  | 'search-type' | 'search-system' | 'history-system' | 'capabilities' | 'batch' | 'transaction'
  | 'operation';

/** SMART v2 permission letter needed by an interaction (null: no resource data touched). */
export type ScopeLetter = 'c' | 'r' | 'u' | 'd' | 's' | null;
/** AuditEvent.action (C create, R read/vread, U update, D delete, E execute: search, operations). */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** A transport-free FHIR request: everything a handler needs, nothing of Express. */
export interface FhirRequest {
  requestId: string;
  interaction: Interaction;
  method: string;
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** `$name` for operations. */
  operation?: string;
  /** For compartment searches (`Patient/123/Observation`): the compartment; `resourceType` is the searched type. */
  compartment?: { type: 'Patient'; id: string };
  /** Query parameters in order, repeated names kept. */
  query: [string, string][];
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** Parsed JSON body for writes. */
  body?: unknown;
  auth: AuthContext;
  /** The public base URL, e.g. `http://127.0.0.1:8080/fhir`. */
  baseUrl: string;
  log: Logger;
}

/** What a handler returns; the HTTP layer turns it into a response. */
export interface FhirResult {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value to serialize, or pre-serialized JSON text (sent as-is for speed). */
  body?: unknown;
  bodyText?: string;
}
