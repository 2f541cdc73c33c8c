import type { Logger } from 'winston';
import type { Config } from '../config.js';
import type { AuthStateStore } from '../store/auth-state.js';
import type { AccessPolicy } from '../vocabulary/access.js';
import { anonymousAuthenticator } from './authenticator.js';
import type { Authenticator } from './authenticator.js';
import { BearerAuthenticator } from './bearer-authenticator.js';
import { IntrospectionClient } from './introspection.js';
import { JwtVerifier, remoteKeySource } from './jwt-verifier.js';
import type { KeySource } from './jwt-verifier.js';
import { KeyRing } from './key-ring.js';
import { LocalKeySet } from './local-key-set.js';
import { allowAllPolicy } from './policy.js';
import { RevocationList } from './revocations.js';
import { SecretBox } from './secret-box.js';
import { SmartPolicy } from './smart-policy.js';
import type { PolicySearch, UserPolicy } from './smart-policy.js';
import { TokenIssuer } from './token-issuer.js';

/** The issuer of Vesta's own tokens: `VESTA_AUTH_ISSUER`, else `/auth` beside the FHIR base's origin. */
export function builtinIssuer(config: Pick<Config, 'baseUrl' | 'auth'>): string {
  return config.auth.issuers[0] ?? `${new URL(config.baseUrl).origin}/auth`;
}

/** The `aud` access tokens must carry: `VESTA_AUTH_AUDIENCE`, else the FHIR base URL. */
export function tokenAudience(config: Pick<Config, 'baseUrl' | 'auth'>): string {
  return config.auth.audience ?? config.baseUrl;
}

/** Vesta's own keys and token signing (builtin mode, and the CLI in any mode). */
export interface OwnTokens {
  issuer: string;
  keys: KeyRing;
  tokens: TokenIssuer;
}

/** Vesta's key ring and token issuer over the store's auth state (keys are generated on first use). */
export function ownTokens(config: Config, state: AuthStateStore, identity?: ServerIdentity): OwnTokens {
  const box = new SecretBox({ secretKey: config.auth.secretKey, secretKeyFile: config.auth.secretKeyFile });
  // A retired key stays published while tokens it signed can live: the longest lifetime plus the skew, doubled.
  const grace = 2 * (config.auth.tokenLifetimeSeconds + config.auth.clockSkewSeconds) * 1000;
  const keys = new KeyRing(state, box, grace);
  const issuer = identity?.issuer ?? builtinIssuer(config);
  return { issuer, keys, tokens: new TokenIssuer(keys, issuer, identity?.audience ?? tokenAudience(config)) };
}

/** The issuer and audience a running server checks tokens against, as it recorded them in the store at start. */
export interface ServerIdentity {
  issuer: string;
  audience: string;
}

const IDENTITY = { kind: 'server', id: 'identity' } as const;

/**
 * The token issuer for tools (the CLI) on the same data as a server: with the issuer and audience the server
 * recorded, so a token printed by `vesta token` is one the server accepts even when the tool's environment does not
 * spell the server's URL (PORT=0, a proxy). `VESTA_AUTH_ISSUER` and `VESTA_AUTH_AUDIENCE` still win when set.
 */
export async function toolTokens(config: Config, state: AuthStateStore): Promise<OwnTokens> {
  const recorded = (await state.get<ServerIdentity>(IDENTITY.kind, IDENTITY.id))?.value;
  const identity: ServerIdentity | undefined = recorded && {
    issuer: config.auth.issuers[0] ?? recorded.issuer, audience: config.auth.audience ?? recorded.audience,
  };
  return ownTokens(config, state, identity);
}

/** The resource server's authentication and authorization, as configured. */
export interface AuthSetup {
  mode: Config['auth']['mode'];
  authenticator: Authenticator;
  policy: AccessPolicy;
  /** Vesta's own keys (builtin mode). */
  own?: OwnTokens;
  /** The issuers whose tokens are accepted. */
  issuers: readonly string[];
  revocations?: RevocationList;
  /** Resolves when start-up work (first keys) is done. */
  ready: Promise<void>;
}

/** What the set-up needs from the rest of the app. */
export interface AuthSetupDeps {
  config: Config;
  state?: AuthStateStore;
  resourceTypes: ReadonlySet<string>;
  search: PolicySearch;
  userPolicy?: UserPolicy;
  log: Logger;
}

/**
 * Builds the authenticator and the access policy for `VESTA_AUTH`: `off` lets everyone do everything (loopback
 * development only); `builtin` verifies tokens signed by Vesta's own keys; `external` verifies the configured
 * issuers' JWTs (JWKS or OpenID discovery) and, when configured, opaque tokens by introspection. Both enforce
 * SMART scopes with the same policy.
 */
export function createAuth(deps: AuthSetupDeps): AuthSetup {
  const { config, log } = deps;
  const mode = config.auth.mode;
  if (mode === 'off') return { mode, authenticator: anonymousAuthenticator, policy: allowAllPolicy, issuers: [], ready: Promise.resolve() };
  if (!deps.state) throw new Error('authorization needs the store\'s auth state (keys, revocations)');
  const audience = tokenAudience(config);
  const revocations = new RevocationList(deps.state);
  const issuers = new Map<string, KeySource>();
  let own: OwnTokens | undefined;
  let ready: Promise<void> = Promise.resolve();
  let introspection: IntrospectionClient | undefined;
  if (mode === 'builtin') {
    own = ownTokens(config, deps.state);
    const local = new LocalKeySet(own.keys);
    issuers.set(own.issuer, async () => local.resolve);
    const identity: ServerIdentity = { issuer: own.issuer, audience };
    ready = own.keys.ensure().then(() => deps.state!.put({ ...IDENTITY, value: identity }));
  } else {
    for (const issuer of config.auth.issuers) issuers.set(issuer, remoteKeySource(issuer, config.auth.jwksUri));
    if (config.auth.introspection) introspection = new IntrospectionClient({ ...config.auth.introspection, audience });
  }
  const jwt = new JwtVerifier({ issuers, audience, clockSkewSeconds: config.auth.clockSkewSeconds });
  const authenticator = new BearerAuthenticator({
    jwt, ...(introspection ? { introspection } : {}), revocations, resourceTypes: deps.resourceTypes, baseUrl: config.baseUrl,
    realm: 'vesta', log,
  });
  const policy = new SmartPolicy(deps.search, deps.userPolicy);
  return { mode, authenticator, policy, issuers: [...issuers.keys()], revocations, ready, ...(own ? { own } : {}) };
}
