import { READ_ONLY_TYPES } from './interactions/read-only-types.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'winston';
import type { Config } from './config.js';
import type { Authenticator } from './auth/authenticator.js';
import { StatementSigner } from './auth/jws.js';
import { createAuth, ownTokens, tokenAudience } from './auth/setup.js';
import { AUTH_SERVER_CAPABILITIES, AUTH_SERVER_FACTS, createAuthorizationServer, endpointsOf } from './auth/server/authorization-server.js';
import type { AuthorizationServer } from './auth/server/authorization-server.js';
import { storePatientDirectory } from './auth/server/patient-directory.js';
import { authRoutes } from './http/authz/routes.js';
import { AUDIT_APP, auditAppRoutes } from './http/apps/audit-app.js';
import type { AuthSetup } from './auth/setup.js';
import type { UserPolicy } from './auth/smart-policy.js';
import { noopAuditor } from './audit/auditor.js';
import { auditVersion } from './audit/render.js';
import { TrailAuditor } from './audit/trail-auditor.js';
import { AuditMaintenance } from './audit/maintenance.js';
import { buildCapabilityStatement, loadCapabilityBase } from './capability/capability-statement.js';
import { discoverAuthorizationServer, RESOURCE_SCOPES, RESOURCE_SERVER_CAPABILITIES, smartConfiguration } from './capability/security.js';
import type { SecurityInfo } from './capability/security.js';
import { ElementIndex } from './fhir/element-index.js';
import { systemClock, uuidIds } from './fhir/ids.js';
import type { Clock, IdGenerator } from './fhir/ids.js';
import { createHttpApp } from './http/http-app.js';
import type { HttpApp } from './http/http-app.js';
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
import type { AuthStateStore } from './store/auth-state.js';
import type { AuditTrail } from './store/audit-trail.js';
import { AuditRoutedStore } from './store/audit-routed-store.js';
import type { ResourceStore } from './store/port.js';
import type { AccessPolicy, Auditor } from './vocabulary/access.js';
import { createValidator } from './validation/validator.js';
import { BodyWorkerPool } from './workers/worker-pool.js';
import { notFound } from './fhir/outcome.js';

/** The repository root (where `profiles/` and `conformance/` live), from the compiled location dist/src/. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the composition root needs; tests pass their own store, clock, ids, policy and auditor. */
export interface AppOptions {
  config: Config;
  store: ResourceStore;
  log: Logger;
  clock?: Clock;
  ids?: IdGenerator;
  /** The store's authorization state (keys, revocations); needed unless VESTA_AUTH=off. */
  authState?: AuthStateStore;
  /** The store's audit trail: AuditEvents are served from it and, with VESTA_AUDIT on, every access is recorded in it. */
  auditTrail?: AuditTrail;
  policy?: AccessPolicy;
  auditor?: Auditor;
  authenticator?: Authenticator;
  /** Narrows what `user/` grants reach (default: the scope alone). */
  userPolicy?: UserPolicy;
  table?: readonly InteractionSpec[];
  profilesDir?: string;
  conformanceDir?: string;
}

/** What the resource server advertises about its authorization (SMART configuration, CapabilityStatement). */
function securityOf(config: Config, auth: AuthSetup): SecurityInfo {
  if (auth.mode === 'off') return { mode: 'off' };
  const issuer = auth.own?.issuer ?? auth.issuers[0]!;
  const server = { issuer, capabilities: [...RESOURCE_SERVER_CAPABILITIES], scopes: [...RESOURCE_SCOPES] };
  if (auth.mode === 'builtin') {
    const e = endpointsOf(issuer);
    return {
      mode: 'builtin',
      server: {
        ...server, jwksUri: `${new URL(config.baseUrl).origin}/auth/jwks`, authorizationEndpoint: e.authorization, tokenEndpoint: e.token,
        introspectionEndpoint: e.introspection, revocationEndpoint: e.revocation, grantTypes: AUTH_SERVER_FACTS.grantTypes,
        tokenEndpointAuthMethods: AUTH_SERVER_FACTS.tokenEndpointAuthMethods, tokenEndpointAuthSigningAlgs: AUTH_SERVER_FACTS.tokenEndpointAuthSigningAlgs,
        responseTypes: AUTH_SERVER_FACTS.responseTypes, codeChallengeMethods: AUTH_SERVER_FACTS.codeChallengeMethods,
        capabilities: [...AUTH_SERVER_CAPABILITIES, ...RESOURCE_SERVER_CAPABILITIES],
        scopes: [...AUTH_SERVER_FACTS.identityScopes, ...RESOURCE_SCOPES],
      },
    };
  }
  return { mode: 'external', server: { ...server, ...(config.auth.jwksUri ? { jwksUri: config.auth.jwksUri } : {}) } };
}

/** The built application: the HTTP app (a request listener) plus the dependencies (so tests can call interactions directly). */
export interface VestaApp {
  http: HttpApp;
  deps: Deps;
  /** Authentication and authorization as configured (tests mint tokens with `auth.own`). */
  auth: AuthSetup;
  /** The audit trail's checkpoints, verification and retention (when the store keeps a trail). */
  audit?: AuditMaintenance;
  /** The built-in authorization server (VESTA_AUTH=builtin). */
  authServer?: AuthorizationServer;
  /** Resolves once start-up work (registering stored SearchParameters) is done; listen after it. */
  ready: Promise<void>;
  /** The worker threads large bodies are checked and indexed by (VESTA_BODY_WORKERS > 0). */
  bodyWorkers?: BodyWorkerPool;
  /** Ends the app's own threads (the body workers); call it once no request is in flight, before closing the store. */
  close(): Promise<void>;
}

/**
 * The composition root (DESIGN principle 9): builds every dependency once and wires them by constructor
 * arguments. No module-level singletons.
 */
export function createApp(opts: AppOptions): VestaApp {
  const { config } = opts;
  const store = opts.auditTrail ? new AuditRoutedStore(opts.store, opts.auditTrail, auditVersion) : opts.store;
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? uuidIds;
  const table = opts.table ?? INTERACTIONS;
  const profilesDir = opts.profilesDir ?? path.join(REPO_ROOT, 'profiles');
  const validator = createValidator({ profilesDir });
  const registry = createSearchRegistry();
  const indexer = createIndexer(registry, { baseUrl: config.baseUrl });
  // The configured chain depth can only lower what the store's compiler carries.
  const searchCapabilities = { ...store.capabilities, maxChainDepth: Math.min(store.capabilities.maxChainDepth, config.maxChainDepth ?? Infinity) };
  const engine = createSearchEngine(registry, config, searchCapabilities);
  const elements = new ElementIndex();
  const touched = new TouchedResources(indexer);
  const search = new SearchService({ store, engine, indexer, elements, touched, clock, ids, maxCount: config.maxCount, maxIncludeIterations: config.maxIncludeIterations });
  const conditional = new ConditionalMatcher(search, store);
  const searchParameters = new SearchParameterActivation(registry);
  const reads = new ReadService(store, indexer);
  // Large bodies are checked, and large resources indexed, by worker threads started on first use (issue 10 item 6).
  const workers = config.bodyWorkers > 0 ? new BodyWorkerPool({ size: config.bodyWorkers, baseUrl: config.baseUrl, registry }) : undefined;
  const resources = new ResourceService({
    store, validator, indexer, clock, ids, searchParameters, conditional, reads, touched, ...(workers ? { offload: workers } : {}),
  });
  const history = new HistoryService(store, touched, clock, ids);
  const resourceTypes = validator.resourceTypes;
  const types = new Set(resourceTypes);
  const auth = createAuth({
    config, ...(opts.authState ? { state: opts.authState } : {}), resourceTypes: types, log: opts.log,
    ...(opts.userPolicy ? { userPolicy: opts.userPolicy } : {}),
    search: { compartment: (t, p) => engine.compartment(t, p), criteria: (t, q) => engine.parse([t], [...q], { strict: true }).where },
  });
  let security = securityOf(config, auth);
  const capabilityBase = loadCapabilityBase(opts.conformanceDir ?? path.join(REPO_ROOT, 'conformance'));
  const capabilityText = (): string => JSON.stringify(buildCapabilityStatement({
    baseUrl: config.baseUrl, base: capabilityBase, security, audited: config.audit.enabled && opts.auditTrail !== undefined,
    table, resourceTypes, searchEngine: engine, store: store.capabilities, profilesByType: validator.profilesByType, clock,
  }));
  let capability = capabilityText();
  let smart = smartConfiguration(security);
  const trailAuditor = config.audit.enabled && opts.auditTrail ? new TrailAuditor(opts.auditTrail, config.audit.site, opts.log) : undefined;
  const hooks = { policy: opts.policy ?? auth.policy, auditor: opts.auditor ?? trailAuditor ?? noopAuditor };
  // Checkpoints are signed with Vesta's own keys, whatever issues the access tokens.
  const keys = opts.authState ? (auth.own?.keys ?? ownTokens(config, opts.authState).keys) : undefined;
  const signer = keys ? new StatementSigner(keys) : undefined;
  const audit = opts.auditTrail && signer ? new AuditMaintenance({
    trail: opts.auditTrail, sign: (p) => signer.sign(p), verify: (jws) => signer.verify(jws), auditor: hooks.auditor,
    site: config.audit.site, log: opts.log, ...(config.audit.retentionDays !== undefined ? { retentionDays: config.audit.retentionDays } : {}),
  }) : undefined;
  const bundles = new BundleService({ base: { store, resources, reads, search, history, conditional }, ids, resourceTypes: types });
  const deps: Deps = {
    hooks, table, bundles, touched, ...(audit ? { audit } : {}),
    reindex: new ReindexService(store, indexer, validator.resourceTypes.filter((t) => !READ_ONLY_TYPES.has(t)), clock, ids, opts.log),
    config, store, resources, reads, history, search, searchEngine: engine, validator, elements,
    resourceTypes: types, clock, ids,
    capabilityStatement: () => JSON.parse(capability) as Record<string, unknown>,
    smartConfiguration: () => {
      if (!smart) throw notFound('Authorization is off (VESTA_AUTH=off): there is no SMART configuration');
      return structuredClone(smart);
    },
  };
  const own = auth.own;
  const authServer = own && opts.authState && auth.revocations ? createAuthorizationServer({
    config, state: opts.authState, own, revocations: auth.revocations, audience: tokenAudience(config), resourceTypes: types,
    auditor: hooks.auditor, patients: storePatientDirectory(search, opts.userPolicy),
  }) : undefined;
  const http = createHttpApp({
    deps, hooks, authenticator: opts.authenticator ?? auth.authenticator, table, log: opts.log,
    ...(own ? { jwks: () => own.keys.jwks() } : {}),
    ...(authServer ? {
      authRoutes: (cors) => authRoutes({
        server: authServer, cors, resourceTypes: types, rateLimitPerMinute: config.auth.rateLimitPerMinute,
        secureCookies: config.baseUrl.startsWith('https:'), durable: async () => store.sync(), log: opts.log, openidConfiguration: () => openidConfiguration(authServer, security),
      }),
      apps: auditAppRoutes(config.baseUrl),
    } : {}),
    ...(workers ? { largeBodies: { bytes: config.largeBodyBytes, bundleBytes: config.largeBundleBytes, planner: workers } } : {}),
  });
  // With an external issuer, its endpoints are learnt from its discovery document (best effort, at start).
  const discovered = config.auth.mode === 'external' && security.mode === 'external'
    ? discoverAuthorizationServer(security.server.issuer).then((found) => {
      if (security.mode === 'off' || !found) return;
      security = { mode: security.mode, server: { ...security.server, ...found, capabilities: security.server.capabilities, scopes: security.server.scopes } };
      capability = capabilityText();
      smart = smartConfiguration(security);
    })
    : Promise.resolve();
  // The audit review app is a public client of the built-in server, registered on every start (its redirect follows the base URL).
  const appsRegistered = authServer
    ? authServer.clients.ensureBuiltin(AUDIT_APP.clientId, { name: AUDIT_APP.name, scopes: AUDIT_APP.scopes, redirectUri: `${new URL(config.baseUrl).origin}${AUDIT_APP.path}` })
    : Promise.resolve();
  const ready = Promise.all([searchParameters.loadStored(store), auth.ready, discovered, appsRegistered]).then(() => undefined);
  const close = async (): Promise<void> => {
    await workers?.close();
  };
  return {
    http, deps, auth, ready, close, ...(workers ? { bodyWorkers: workers } : {}), ...(audit ? { audit } : {}), ...(authServer ? { authServer } : {}),
  };
}

/** OpenID Connect Discovery 1.0 §3 for the built-in server, from the same facts as the SMART configuration. */
function openidConfiguration(server: AuthorizationServer, security: SecurityInfo): Record<string, unknown> {
  const e = server.endpoints;
  return {
    issuer: e.issuer, authorization_endpoint: e.authorization, token_endpoint: e.token, jwks_uri: security.mode === 'off' ? e.jwks : security.server.jwksUri,
    introspection_endpoint: e.introspection, revocation_endpoint: e.revocation,
    response_types_supported: AUTH_SERVER_FACTS.responseTypes, grant_types_supported: AUTH_SERVER_FACTS.grantTypes,
    subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: AUTH_SERVER_FACTS.tokenEndpointAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: AUTH_SERVER_FACTS.tokenEndpointAuthSigningAlgs,
    code_challenge_methods_supported: AUTH_SERVER_FACTS.codeChallengeMethods,
    scopes_supported: security.mode === 'off' ? [] : security.server.scopes, claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'fhirUser', 'preferred_username'],
  };
}
