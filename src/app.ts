import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import type { Logger } from 'winston';
import type { Config } from './config.js';
import { anonymousAuthenticator } from './auth/authenticator.js';
import type { Authenticator } from './auth/authenticator.js';
import { allowAllPolicy } from './auth/policy.js';
import type { AccessPolicy } from './auth/policy.js';
import { noopAuditor } from './audit/auditor.js';
import type { Auditor } from './audit/auditor.js';
import { buildCapabilityStatement, loadCapabilityBase } from './capability/capability-statement.js';
import { ElementIndex } from './fhir/element-index.js';
import { systemClock, uuidIds } from './fhir/ids.js';
import type { Clock, IdGenerator } from './fhir/ids.js';
import { createHttpApp } from './http/http-app.js';
import type { Deps } from './interactions/deps.js';
import { INTERACTIONS } from './interactions/table.js';
import type { InteractionSpec } from './interactions/table.js';
import { createIndexer, createSearchRegistry } from './search/index.js';
import { HistoryService } from './services/history-service.js';
import { ResourceService } from './services/resource-service.js';
import { createSearchEngine } from './services/search-engine.js';
import { SearchService } from './services/search-service.js';
import { ReindexService } from './services/reindex-service.js';
import { SearchParameterActivation } from './services/search-parameter-activation.js';
import type { ResourceStore } from './store/port.js';
import { createValidator } from './validation/validator.js';

/** The repository root (where `profiles/` and `conformance/` live), from the compiled location dist/src/. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the composition root needs; tests pass their own store, clock, ids, policy and auditor. */
export interface AppOptions {
  config: Config;
  store: ResourceStore;
  log: Logger;
  clock?: Clock;
  ids?: IdGenerator;
  policy?: AccessPolicy;
  auditor?: Auditor;
  authenticator?: Authenticator;
  table?: readonly InteractionSpec[];
  profilesDir?: string;
  conformanceDir?: string;
}

/** The built application: the Express app plus the dependencies (so tests can call interactions directly). */
export interface VestaApp {
  http: Express;
  deps: Deps;
  /** Resolves once start-up work (registering stored SearchParameters) is done; listen after it. */
  ready: Promise<void>;
}

/**
 * The composition root (DESIGN principle 9): builds every dependency once and wires them by constructor
 * arguments. No module-level singletons.
 */
export function createApp(opts: AppOptions): VestaApp {
  const { config, store } = opts;
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? uuidIds;
  const table = opts.table ?? INTERACTIONS;
  const profilesDir = opts.profilesDir ?? path.join(REPO_ROOT, 'profiles');
  const validator = createValidator({ profilesDir });
  const registry = createSearchRegistry();
  const indexer = createIndexer(registry, { baseUrl: config.baseUrl });
  const engine = createSearchEngine(registry, config);
  const elements = new ElementIndex();
  const search = new SearchService(store, engine, indexer, elements, clock, ids, config.maxCount);
  const searchParameters = new SearchParameterActivation(registry);
  const resources = new ResourceService({
    store, validator, indexer, clock, ids, searchParameters,
    findMatches: (type, query, limit) => search.findMatches(type, query, limit),
  });
  const resourceTypes = validator.resourceTypes;
  const capability = buildCapabilityStatement({
    baseUrl: config.baseUrl,
    base: loadCapabilityBase(opts.conformanceDir ?? path.join(REPO_ROOT, 'conformance')),
    table, resourceTypes, searchEngine: engine, store: store.capabilities, profilesByType: validator.profilesByType, clock,
  });
  const capabilityText = JSON.stringify(capability);
  const hooks = { policy: opts.policy ?? allowAllPolicy, auditor: opts.auditor ?? noopAuditor };
  const deps: Deps = {
    hooks,
    reindex: new ReindexService(store, indexer, validator.resourceTypes, clock, ids, opts.log),
    config, store, resources, history: new HistoryService(store, clock, ids), search, searchEngine: engine, validator, elements,
    resourceTypes: new Set(resourceTypes), clock, ids,
    capabilityStatement: () => JSON.parse(capabilityText) as Record<string, unknown>,
  };
  const http = createHttpApp({
    deps, hooks,
    authenticator: opts.authenticator ?? anonymousAuthenticator, table, log: opts.log,
  });
  return { http, deps, ready: searchParameters.loadStored(store).then(() => undefined) };
}
