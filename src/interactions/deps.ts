import type { Config } from '../config.js';
import type { ElementIndex } from '../fhir/element-index.js';
import type { Clock, IdGenerator } from '../fhir/ids.js';
import type { ResourceService } from '../services/resource-service.js';
import type { HistoryService } from '../services/history-service.js';
import type { SearchService } from '../services/search-service.js';
import type { ResourceValidator, SearchEngine } from '../services/ports.js';
import type { ResourceStore } from '../store/port.js';
import type { Decision } from '../auth/policy.js';

/** Everything a handler may use, built once by the composition root (app.ts). */
export interface Deps {
  config: Config;
  store: ResourceStore;
  resources: ResourceService;
  history: HistoryService;
  search: SearchService;
  searchEngine: SearchEngine;
  reindex: import('../services/reindex-service.js').ReindexService;
  validator: ResourceValidator;
  elements: ElementIndex;
  resourceTypes: ReadonlySet<string>;
  clock: Clock;
  ids: IdGenerator;
  /** The access-decision and audit hooks; Bundle processing runs them once per entry. */
  hooks: import('./pipeline.js').Hooks;
  /** The CapabilityStatement, built once from the running configuration. */
  capabilityStatement: () => Record<string, unknown>;
}

/** A handler: a FhirRequest in, a FhirResult out, with the access decision already made. */
export type Handler = (
  req: import('./types.js').FhirRequest,
  deps: Deps,
  decision: Decision,
) => Promise<import('./types.js').FhirResult>;
