import type { Config } from '../config.js';
import type { ElementIndex } from '../fhir/element-index.js';
import type { Clock, IdGenerator } from '../fhir/ids.js';
import type { AuditMaintenance } from '../audit/maintenance.js';
import type { BundleService } from '../services/bundle-service.js';
import type { HistoryService } from '../services/history-service.js';
import type { ReadService } from '../services/read-service.js';
import type { ReindexService } from '../services/reindex-service.js';
import type { ResourceService } from '../services/resource-service.js';
import type { SearchService } from '../services/search-service.js';
import type { TouchedResources } from '../services/touched.js';
import type { ResourceValidator, SearchEngine } from '../services/ports.js';
import type { ResourceStore } from '../store/port.js';
import type { AccessPolicy, Auditor, Decision } from '../vocabulary/access.js';
import type { FhirRequest, FhirResult } from '../vocabulary/fhir-request.js';
import type { AuditAction, HttpMethod, Interaction, RouteShape, ScopeLetter } from '../vocabulary/interaction.js';

/** The cross-cutting hooks every interaction runs through. */
export interface Hooks {
  policy: AccessPolicy;
  auditor: Auditor;
}

/** A handler: a FhirRequest in, a FhirResult out, with the access decision already made. */
export type Handler = (req: FhirRequest, deps: Deps, decision: Decision) => Promise<FhirResult>;

/**
 * One row of the interaction table. Routing, authorization (scope letter), audit (action) and the
 * CapabilityStatement all read these rows, so they cannot drift apart (DESIGN principle 2).
 */
export interface InteractionSpec {
  name: Interaction;
  method: HttpMethod;
  shape: RouteShape;
  /** True for the conditional form (criteria in the URL): it needs `s` besides its own letter. */
  conditional?: boolean;
  /** The SMART permission letter the row needs; null where the letters come from elsewhere (operations, Bundle entries). */
  scope: ScopeLetter;
  /** Answers without an access token (the CapabilityStatement and the SMART configuration). */
  public?: boolean;
  audit: AuditAction | null;
  handle: Handler;
}

/** Everything a handler may use, built once by the composition root (app.ts). */
export interface Deps {
  config: Config;
  store: ResourceStore;
  resources: ResourceService;
  reads: ReadService;
  history: HistoryService;
  search: SearchService;
  bundles: BundleService;
  searchEngine: SearchEngine;
  reindex: ReindexService;
  /** The audit trail's checkpoints, verification and retention (absent when the store keeps no trail). */
  audit?: AuditMaintenance;
  validator: ResourceValidator;
  elements: ElementIndex;
  touched: TouchedResources;
  resourceTypes: ReadonlySet<string>;
  clock: Clock;
  ids: IdGenerator;
  /** The interaction table in use (routing, and the rows Bundle entries run under). */
  table: readonly InteractionSpec[];
  /** The access-decision and audit hooks; Bundle processing runs them once per entry. */
  hooks: Hooks;
  /** The CapabilityStatement, built once from the running configuration. */
  capabilityStatement: () => Record<string, unknown>;
  /** The SMART configuration document (`.well-known/smart-configuration`), built once. */
  smartConfiguration: () => Record<string, unknown>;
}
