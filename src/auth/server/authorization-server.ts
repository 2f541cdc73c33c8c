import type { Config } from '../../config.js';
import type { AuthStateStore } from '../../store/auth-state.js';
import type { Auditor } from '../../vocabulary/access.js';
import { LocalKeySet } from '../local-key-set.js';
import type { RevocationList } from '../revocations.js';
import type { OwnTokens } from '../setup.js';
import { AuthorizationFlow } from './authorization-flow.js';
import type { PatientDirectory } from './authorization-flow.js';
import { ASSERTION_ALGORITHMS, ClientAuthenticator } from './client-auth.js';
import { ClientRegistry } from './clients.js';
import { GrantStore } from './grants.js';
import { LaunchContexts } from './launches.js';
import { IDENTITY_SCOPES } from './scope-rules.js';
import { TokenService } from './token-service.js';
import { UserDirectory } from './users.js';

/** The endpoints of the built-in authorization server, all under its issuer (`<origin>/auth`). */
export interface AuthServerEndpoints {
  issuer: string;
  authorization: string;
  token: string;
  introspection: string;
  revocation: string;
  jwks: string;
  style: string;
}

/** The endpoints under `issuer`. */
export function endpointsOf(issuer: string): AuthServerEndpoints {
  return {
    issuer, authorization: `${issuer}/authorize`, token: `${issuer}/token`, introspection: `${issuer}/introspect`,
    revocation: `${issuer}/revoke`, jwks: `${issuer}/jwks`, style: `${issuer}/smart-style.json`,
  };
}

/**
 * The SMART capabilities the built-in server implements, each backed by a test (README, "Authorization server"):
 * nothing here is advertised that does not work.
 */
export const AUTH_SERVER_CAPABILITIES = [
  'launch-ehr', 'launch-standalone', 'authorize-post', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
  'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'context-banner', 'context-style',
  'permission-offline', 'permission-online', 'sso-openid-connect',
];

/** Discovery facts shared by the SMART configuration and the OpenID configuration. */
export const AUTH_SERVER_FACTS = {
  grantTypes: ['authorization_code', 'client_credentials', 'refresh_token'],
  tokenEndpointAuthMethods: ['private_key_jwt', 'client_secret_basic', 'none'],
  tokenEndpointAuthSigningAlgs: ASSERTION_ALGORITHMS,
  responseTypes: ['code'],
  codeChallengeMethods: ['S256'],
  identityScopes: IDENTITY_SCOPES,
};

/** The built-in authorization server's services. */
export interface AuthorizationServer {
  endpoints: AuthServerEndpoints;
  flow: AuthorizationFlow;
  tokens: TokenService;
  clients: ClientRegistry;
  users: UserDirectory;
  launches: LaunchContexts;
}

/** What it is built from. */
export interface AuthorizationServerDeps {
  config: Config;
  state: AuthStateStore;
  own: OwnTokens;
  revocations: RevocationList;
  audience: string;
  resourceTypes: ReadonlySet<string>;
  auditor: Auditor;
  patients: PatientDirectory;
}

/** Wires the built-in authorization server over the store's auth state and Vesta's own keys (VESTA_AUTH=builtin). */
export function createAuthorizationServer(d: AuthorizationServerDeps): AuthorizationServer {
  const endpoints = endpointsOf(d.own.issuer);
  const clients = new ClientRegistry(d.state);
  const users = userDirectory(d.config, d.state);
  const launches = new LaunchContexts(d.state);
  const grants = new GrantStore(d.state, d.revocations);
  const clientAuth = new ClientAuthenticator(clients, d.state, endpoints.token, d.config.auth.clockSkewSeconds);
  const tokens = new TokenService({
    issuer: d.own.issuer, baseUrl: d.config.baseUrl, audience: d.audience, keys: d.own.keys, keySet: new LocalKeySet(d.own.keys),
    tokens: d.own.tokens, revocations: d.revocations, grants, clientAuth, resourceTypes: d.resourceTypes,
    lifetimeSeconds: d.config.auth.tokenLifetimeSeconds, clockSkewSeconds: d.config.auth.clockSkewSeconds, auditor: d.auditor, styleUrl: endpoints.style,
  });
  const flow = new AuthorizationFlow({
    state: d.state, clients, users, launches, grants, patients: d.patients, resourceTypes: d.resourceTypes, baseUrl: d.config.baseUrl, auditor: d.auditor,
  });
  return { endpoints, flow, tokens, clients, users, launches };
}

/** The user directory with the configured lockout (also for the CLI). */
export function userDirectory(config: Config, state: AuthStateStore): UserDirectory {
  return new UserDirectory(state, { attempts: config.auth.loginAttempts, lockoutSeconds: config.auth.lockoutSeconds });
}
