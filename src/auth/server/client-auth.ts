import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuthStateStore } from '../../store/auth-state.js';
import type { ClientRegistry, RegisteredClient } from './clients.js';
import { OAuthError } from './oauth-error.js';
import { verifySecret } from './secrets.js';

/** RFC 7523 §2.2: the only client assertion type. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The algorithms a client may sign its assertion with (SMART Backend Services names RS384 and ES384). */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384', 'RS256', 'ES256'];
/** An assertion may live at most five minutes (SMART Backend Services, "exp ... no more than five minutes"). */
const MAX_ASSERTION_SECONDS = 300;
const REPLAY = 'assertion-jti';

/** What a token-endpoint request carries for client authentication. */
export interface ClientCredentials {
  authorization?: string;
  form: URLSearchParams;
}

/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3): `client_secret_basic`
 * for confidential symmetric clients, `private_key_jwt` (RFC 7523) for asymmetric and backend clients, and the bare
 * `client_id` for public clients. A client of one kind cannot authenticate the way of another. Every failure is
 * `invalid_client` (401) with the same description, so a caller learns nothing about which part was wrong.
 */
export class ClientAuthenticator {
  private readonly remote = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly clients: ClientRegistry, private readonly state: AuthStateStore,
    private readonly tokenEndpoint: string, private readonly clockSkewSeconds: number,
  ) {}

  async authenticate(req: ClientCredentials): Promise<RegisteredClient> {
    const basic = /^Basic\s+(.+)$/i.exec(req.authorization ?? '');
    const assertionType = req.form.get('client_assertion_type');
    const formId = req.form.get('client_id') ?? undefined;
    if (req.form.has('client_secret')) throw new OAuthError('invalid_client', 'client_secret_post is not supported; use HTTP Basic');
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw fail();
      // RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
      const id = safeDecode(decoded.slice(0, colon));
      const secret = safeDecode(decoded.slice(colon + 1));
      const client = id !== undefined ? await this.clients.get(id) : undefined;
      if (!client || client.type !== 'confidential' || !client.secretHash || secret === undefined) throw fail();
      if (formId !== undefined && formId !== client.clientId) throw fail();
      if (!(await verifySecret(secret, client.secretHash))) throw fail();
      return client;
    }
    if (assertionType !== null) {
      if (assertionType !== JWT_BEARER) throw new OAuthError('invalid_client', `client_assertion_type must be ${JWT_BEARER}`);
      return this.assertion(req.form.get('client_assertion') ?? '', formId);
    }
    if (formId === undefined) throw new OAuthError('invalid_client', 'The client is not authenticated');
    const client = await this.clients.get(formId);
    if (!client || client.type !== 'public') throw fail();
    return client;
  }

  private async assertion(jwt: string, formId: string | undefined): Promise<RegisteredClient> {
    let iss: unknown;
    try {
      iss = decodeJwt(jwt).iss;
    } catch {
      throw fail();
    }
    const client = typeof iss === 'string' ? await this.clients.get(iss) : undefined;
    if (!client || (client.type !== 'asymmetric' && client.type !== 'backend')) throw fail();
    if (formId !== undefined && formId !== client.clientId) throw fail();
    let payload;
    try {
      ({ payload } = await jwtVerify(jwt, this.keysOf(client), {
        issuer: client.clientId, subject: client.clientId, audience: this.tokenEndpoint, algorithms: ASSERTION_ALGORITHMS,
        clockTolerance: this.clockSkewSeconds, requiredClaims: ['exp', 'jti'],
      }));
    } catch {
      throw fail();
    }
    const now = Math.floor(Date.now() / 1000);
    if (payload.exp! - now > MAX_ASSERTION_SECONDS + this.clockSkewSeconds) throw fail();
    // RFC 7523 §3 item 7: a jti is used once; remembered until the assertion could no longer be accepted.
    const fresh = await this.state.insert({
      kind: REPLAY, id: `${client.clientId}|${String(payload.jti)}`, value: {}, expiresAt: (payload.exp! + this.clockSkewSeconds + 1) * 1000,
    });
    if (!fresh) throw fail();
    return client;
  }

  private keysOf(client: RegisteredClient): JWTVerifyGetKey {
    if (client.jwks) return createLocalJWKSet(client.jwks);
    const url = client.jwksUrl!;
    let set = this.remote.get(url);
    if (!set) this.remote.set(url, (set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 })));
    return set;
  }
}

function fail(): OAuthError {
  return new OAuthError('invalid_client', 'Client authentication failed');
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
