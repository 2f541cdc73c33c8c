/**
 * A transport-free FHIR request and its result: what the HTTP layer builds and sends, what interaction
 * handlers take and return, and what Bundle processing builds for each entry.
 */
import type { Logger } from 'winston';
import type { AuthContext, ClientInfo, TouchedResource } from './access.js';
import type { Interaction } from './interaction.js';
import type { PreparedVersion } from './versions.js';

/** What Bundle processing already settled for one entry before it runs (FHIR R4 http.html#trules). */
export interface EntrySettlement {
  /** The id reserved for a create: other entries of the Bundle already refer to it. */
  createId?: string;
  /** The create, already validated, stamped and indexed under `createId` outside the transaction's lock. */
  prepared?: PreparedVersion;
  /** Conditional references (`Patient?identifier=...`) in the body are resolved when the entry runs. */
  conditionalReferences: boolean;
}

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
  /** Parsed JSON body for writes; the form text for `POST _search`. */
  body?: unknown;
  auth: AuthContext;
  /** Network address and user agent (for the audit record, never the log). */
  client: ClientInfo;
  /** The public base URL, e.g. `http://127.0.0.1:8080/fhir`. */
  baseUrl: string;
  log: Logger;
  /** Set on batch and transaction entries only. */
  entry?: EntrySettlement;
}

/** What a handler returns; the HTTP layer turns it into a response. */
export interface FhirResult {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value to serialize, or pre-serialized JSON text (sent as-is for speed). */
  body?: unknown;
  bodyText?: string;
  /** The media type of the body when it is not a FHIR resource (`application/json` for the SMART configuration). */
  contentType?: string;
  /** The resources the interaction returned or wrote, for the audit record. */
  touched?: readonly TouchedResource[];
}
