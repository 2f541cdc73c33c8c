import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { SIGNING_ALGORITHMS } from './key-ring.js';

/** Why a token was refused, in words safe to send back (never token content). */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
}

/** Where an issuer's keys come from. */
export type KeySource = () => Promise<JWTVerifyGetKey>;

/** Options of the JWT verifier. */
export interface JwtVerifierOptions {
  /** The trusted issuers, each with its keys. */
  issuers: ReadonlyMap<string, KeySource>;
  /** The `aud` every token must carry (this FHIR base). */
  audience: string;
  clockSkewSeconds: number;
}

/** A verified token's claims. */
export type VerifiedClaims = JWTPayload & Record<string, unknown>;

/**
 * Verifies JWT access tokens (RFC 7519, RFC 9068) with jose: the signature against the issuer's keys, an algorithm
 * from the allow-list (RS256, ES256: never `none`, never an HMAC, so a public key can never serve as an HMAC
 * secret), `iss` among the trusted issuers, `aud` equal to this server, and `exp`/`nbf` with a small skew.
 */
export class JwtVerifier {
  constructor(private readonly opts: JwtVerifierOptions) {}

  async verify(token: string): Promise<VerifiedClaims> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new TokenRejected('The access token is not a well-formed JWT');
    }
    const keys = typeof iss === 'string' ? this.opts.issuers.get(iss) : undefined;
    if (!keys) throw new TokenRejected('The access token was not issued by an issuer this server trusts');
    let resolve: JWTVerifyGetKey;
    try {
      resolve = await keys();
    } catch {
      throw new TokenRejected('The keys of the token\'s issuer cannot be fetched now');
    }
    try {
      const { payload } = await jwtVerify(token, resolve, {
        issuer: iss as string, audience: this.opts.audience, algorithms: [...SIGNING_ALGORITHMS],
        clockTolerance: this.opts.clockSkewSeconds, requiredClaims: ['exp'],
      });
      return payload as VerifiedClaims;
    } catch (e) {
      throw new TokenRejected(reason(e));
    }
  }
}

/** The refusal in words, by jose's error class. */
function reason(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'The access token has expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'The access token is not for this server (aud)';
    if (e.claim === 'nbf') return 'The access token is not valid yet (nbf)';
    if (e.claim === 'iss') return 'The access token was not issued by an issuer this server trusts';
    return `The access token's ${e.claim} claim is not valid`;
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return 'The access token is signed with an algorithm this server does not accept';
  if (e instanceof errors.JWKSNoMatchingKey) return 'The access token is signed with a key its issuer does not publish';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'The access token\'s signature is not valid';
  return 'The access token is not valid';
}

/** How long a remote JWKS is kept and the least time between two fetches of it (an unknown `kid` triggers one). */
const REMOTE_JWKS = { cacheMaxAge: 10 * 60_000, cooldownDuration: 5000, timeoutDuration: 5000 };

/**
 * The keys of an external issuer: its JWKS URI when configured, else the one its OpenID (or SMART) discovery
 * document names. jose caches the set and fetches again on an unknown `kid`, never more often than the cooldown.
 */
export function remoteKeySource(issuer: string, jwksUri?: string): KeySource {
  let pending: Promise<JWTVerifyGetKey> | undefined;
  let failedAt = 0;
  return () => {
    if (!pending && Date.now() - failedAt < REMOTE_JWKS.cooldownDuration) return Promise.reject(new Error('discovery failed recently'));
    pending ??= (async () => createRemoteJWKSet(new URL(jwksUri ?? (await discoverJwksUri(issuer))), REMOTE_JWKS))().catch((e: unknown) => {
      pending = undefined;
      failedAt = Date.now();
      throw e;
    });
    return pending;
  };
}

async function discoverJwksUri(issuer: string): Promise<string> {
  for (const doc of ['.well-known/openid-configuration', '.well-known/smart-configuration']) {
    try {
      const res = await fetch(`${issuer}/${doc}`, { signal: AbortSignal.timeout(5000), headers: { Accept: 'application/json' } });
      if (!res.ok) continue;
      const body = (await res.json()) as { jwks_uri?: unknown };
      if (typeof body.jwks_uri === 'string') return body.jwks_uri;
    } catch {
      // try the next document
    }
  }
  throw new Error(`no jwks_uri found by discovery at ${issuer}`);
}
