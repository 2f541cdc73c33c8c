import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import type { Logger } from 'winston';
import type { Config } from './config.js';
import { anonymousAuthenticator } from './auth/authenticator.js';
import type { Authenticator } from './auth/authenticator.js';
import { allowAllPolicy } from './auth/policy.js';
import { noopAuditor } from './audit/auditor.js';
import { buildCapabilityStatement, loadCapabilityBase } from './capability/capability-statement.js';
import { ElementIndex } from './fhir/element-index.js';
import { systemClock, uuidIds } from './fhir/ids.js';
import type { Clock, IdGenerator } from './fhir/ids.js';
import { createHttpApp } from './http/http-app.js';
import type { Deps, InteractionSpec } from './interactions/deps.js';
import { INTERACTIONS } from './interactions/table.js';
import { createIndexer, createSearchRegistry } from './search/index.js';
import { BundleService } from './services/bundle-service.js';
import { ConditionalMatcher } from './services/conditional.js';
import { HistoryService } from './services/history-service.js';
import { ReadService } from './services/read-service.js';
import { ResourceService } from './services/resource-service.js';
import { createSearchEngine } from './services/search-engine.js';
import { SearchService } from './services/search-service.js';
import { ReindexService } from './services/reindex-service.js';
import { SearchParameterActivation } from './services/search-parameter-activation.js';
import { TouchedResources } from './services/touched.js';
import type { ResourceStore } from './store/port.js';
import type { AccessPolicy, Auditor } from './vocabulary/access.js';
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
  const engine = createSearchEngine(registry, config, store.capabilities);
  const elements = new ElementIndex();
  const touched = new TouchedResources(indexer);
  const search = new SearchService({ store, engine, indexer, elements, touched, clock, ids, maxCount: config.maxCount });
  const conditional = new ConditionalMatcher(search, store);
  const searchParameters = new SearchParameterActivation(registry);
  const resources = new ResourceService({ store, validator, indexer, clock, ids, searchParameters, conditional, touched });
  const reads = new ReadService(store, indexer);
  const history = new HistoryService(store, touched, clock, ids);
  const resourceTypes = validator.resourceTypes;
  const capability = buildCapabilityStatement({
    baseUrl: config.baseUrl,
    base: loadCapabilityBase(opts.conformanceDir ?? path.join(REPO_ROOT, 'conformance')),
    table, resourceTypes, searchEngine: engine, store: store.capabilities, profilesByType: validator.profilesByType, clock,
  });
  const capabilityText = JSON.stringify(capability);
  const hooks = { policy: opts.policy ?? allowAllPolicy, auditor: opts.auditor ?? noopAuditor };
  const types = new Set(resourceTypes);
  const bundles = new BundleService({ base: { store, resources, reads, search, history, conditional }, ids, resourceTypes: types });
  const deps: Deps = {
    hooks, table, bundles, touched,
    reindex: new ReindexService(store, indexer, validator.resourceTypes, clock, ids, opts.log),
    config, store, resources, reads, history, search, searchEngine: engine, validator, elements,
    resourceTypes: types, clock, ids,
    capabilityStatement: () => JSON.parse(capabilityText) as Record<string, unknown>,
  };
  const http = createHttpApp({
    deps, hooks,
    authenticator: opts.authenticator ?? anonymousAuthenticator, table, log: opts.log,
  });
  return { http, deps, ready: searchParameters.loadStored(store).then(() => undefined) };
}
