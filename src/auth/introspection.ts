import type { VerifiedClaims } from './jwt-verifier.js';
import { TokenRejected } from './jwt-verifier.js';

/** Where and as whom to introspect. */
export interface IntrospectionOptions {
  endpoint: string;
  clientId?: string;
  clientSecret?: string;
  /** The audience this server expects, checked when the response names one. */
  audience: string;
}

/**
 * Checks opaque access tokens with RFC 7662 token introspection at the configured endpoint; an active token's
 * response becomes its claims (SMART App Launch 2.x token introspection: scope, client_id, patient, fhirUser, exp).
 */
export class IntrospectionClient {
  constructor(private readonly opts: IntrospectionOptions) {}

  async verify(token: string): Promise<VerifiedClaims> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (this.opts.clientId !== undefined && this.opts.clientSecret !== undefined) {
      const basic = `${encodeURIComponent(this.opts.clientId)}:${encodeURIComponent(this.opts.clientSecret)}`;
      headers.Authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    }
    let body: Record<string, unknown>;
    try {
      const res = await fetch(this.opts.endpoint, {
        method: 'POST', headers, body: new URLSearchParams({ token, token_type_hint: 'access_token' }), signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`introspection answered ${res.status}`);
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      throw new TokenRejected('The access token cannot be checked now (introspection failed)');
    }
    if (body.active !== true) throw new TokenRejected('The access token is not active');
    if (typeof body.exp !== 'number') throw new TokenRejected('The introspection response has no expiry');
    if (body.exp * 1000 <= Date.now()) throw new TokenRejected('The access token has expired');
    const aud = body.aud;
    if (aud !== undefined && !(aud === this.opts.audience || (Array.isArray(aud) && aud.includes(this.opts.audience)))) {
      throw new TokenRejected('The access token is not for this server (aud)');
    }
    return body as VerifiedClaims;
  }
}
