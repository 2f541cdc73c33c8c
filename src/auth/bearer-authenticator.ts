import type { Logger } from 'winston';
import { unauthorized } from '../fhir/outcome.js';
import type { AuthContext } from '../vocabulary/access.js';
import { authContextOf } from './auth-context.js';
import type { Authenticator } from './authenticator.js';
import type { IntrospectionClient } from './introspection.js';
import { TokenRejected } from './jwt-verifier.js';
import type { JwtVerifier, VerifiedClaims } from './jwt-verifier.js';
import type { RevocationList } from './revocations.js';

/** What the bearer authenticator works with. */
export interface BearerAuthenticatorDeps {
  /** JWT access tokens (builtin keys or external issuers). */
  jwt?: JwtVerifier;
  /** Opaque access tokens (RFC 7662). */
  introspection?: IntrospectionClient;
  revocations: RevocationList;
  resourceTypes: ReadonlySet<string>;
  baseUrl: string;
  /** The realm named in `WWW-Authenticate`. */
  realm: string;
  log: Logger;
}

interface Cached {
  /**
   * The whole Authorization header the token came in: a hit on the key counts only when the request's header is
   * this one, character for character. The header, not the token cut from it, because two whole header texts
   * compare as flat strings (a memcmp) where a cut-out token compares character by character.
   */
  header: string;
  context: AuthContext;
  /** Epoch ms after which the entry is stale. */
  until: number;
}

/** Verified tokens kept; a token seen again costs a map lookup, not a signature check. */
const CACHE_SIZE = 10_000;
/**
 * The cache key is a 30-bit hash of the header's last characters (a JWT's signature, unpredictable to anyone without
 * the key), and a hit is confirmed by comparing the whole header. A string key, even the tail alone, cost about 3 µs
 * per request as a Map key in the server (the header text is fresh each time); a number costs nothing to look up, a
 * SHA-256 of the token about 14 µs. Two tokens with one key only cost the second a verification.
 */
const KEY_CHARS = 48;

/**
 * FNV-1a over the last KEY_CHARS characters of the header, cut to 30 bits: a small integer is kept inside the Map's
 * table, where a larger one is a separate heap number the lookup must fetch (a cache miss per request once the
 * cache holds many tokens).
 */
function tailHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, text.length - KEY_CHARS); i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}
/** Introspection results are kept at most this long, and never past the token's expiry. */
const INTROSPECTION_TTL_MS = 60_000;

/**
 * The resource server's authentication (SMART App Launch 2.x, RFC 6750): `Authorization: Bearer <token>` becomes
 * one AuthContext per request. Verified tokens are cached until they expire, keyed by a hash of their signature and
 * confirmed by the whole header they came in (see KEY_CHARS); a revoked `jti` stops the token at once, cached or
 * not. Missing, malformed, expired, revoked or foreign tokens answer 401 with the RFC 6750 challenge and an
 * OperationOutcome.
 */
export class BearerAuthenticator implements Authenticator {
  private readonly cache = new Map<number, Cached>();

  constructor(private readonly deps: BearerAuthenticatorDeps) {}

  async authenticate(headers: Record<string, string | undefined>): Promise<AuthContext> {
    const header = headers.authorization;
    if (header !== undefined) {
      const key = tailHash(header);
      const entry = this.cache.get(key);
      // A header seen before, verified then, still fresh: its context, unless revoked since.
      if (entry !== undefined && entry.header === header) {
        if (entry.until > Date.now()) return this.unlessRevoked(key, entry);
        this.cache.delete(key);
      }
    }
    return this.authenticateAfresh(header);
  }

  /** A header not in the cache: its scheme and token checked, the token verified, the result cached. */
  private async authenticateAfresh(header: string | undefined): Promise<AuthContext> {
    const { realm } = this.deps;
    if (header === undefined || header.trim() === '') {
      throw unauthorized('Authentication is required: send Authorization: Bearer <access token>', realm);
    }
    const space = header.indexOf(' ');
    if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') {
      throw unauthorized('Only Bearer access tokens are accepted (RFC 6750)', realm);
    }
    const token = header.slice(space + 1).trim();
    if (token === '' || token.length > 16_384) throw unauthorized('The access token is malformed', realm, 'invalid_token');
    const key = tailHash(header);
    const now = Date.now();
    const claims = await this.verify(token);
    const entry: Cached = { header, context: authContextOf(claims, this.deps.resourceTypes, this.deps.baseUrl, this.deps.log), until: this.until(claims, now) };
    this.remember(key, entry);
    return this.unlessRevoked(key, entry);
  }

  /**
   * The entry's context, or 401 when its token id has been revoked (the entry is then forgotten). Answered at once
   * when the revocation list is loaded, so a cached token's request waits on no extra promise.
   */
  private unlessRevoked(key: number, entry: Cached): AuthContext | Promise<AuthContext> {
    const jti = entry.context.tokenId;
    const revoked = jti === undefined ? false : this.deps.revocations.isRevoked(jti);
    if (revoked === false) return entry.context;
    if (revoked === true) return this.revoked(key);
    return revoked.then((r) => (r ? this.revoked(key) : entry.context));
  }

  private revoked(key: number): never {
    this.cache.delete(key);
    throw unauthorized('The access token has been revoked', this.deps.realm, 'invalid_token');
  }

  private async verify(token: string): Promise<VerifiedClaims> {
    const { jwt, introspection, realm } = this.deps;
    const looksJwt = /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
    try {
      if (looksJwt && jwt) return await jwt.verify(token);
      if (introspection) return await introspection.verify(token);
      throw new TokenRejected('The access token is not a JWT this server can verify');
    } catch (e) {
      if (e instanceof TokenRejected) throw unauthorized(e.message, realm, 'invalid_token');
      throw e;
    }
  }

  /** A JWT is good until its `exp`; an introspection answer for a minute at most. */
  private until(claims: VerifiedClaims, now: number): number {
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : now;
    return claims.active === true ? Math.min(exp, now + INTROSPECTION_TTL_MS) : exp;
  }

  private remember(key: number, entry: Cached): void {
    if (this.cache.size >= CACHE_SIZE) {
      // Oldest first (insertion order); a busy server evicts a tenth at once rather than one per request.
      let n = Math.ceil(CACHE_SIZE / 10);
      for (const k of this.cache.keys()) {
        this.cache.delete(k);
        if (--n === 0) break;
      }
    }
    this.cache.set(key, entry);
  }
}
