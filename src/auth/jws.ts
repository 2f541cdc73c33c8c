import { compactVerify, CompactSign, createLocalJWKSet } from 'jose';
import type { KeyRing } from './key-ring.js';

/**
 * Signs and verifies JSON statements with Vesta's own keys (ES256, RFC 7515 compact JWS): the audit trail's
 * checkpoints. A statement verifies while its key is published (a rotated key stays published for a while; for
 * checkpoints the verifier also keeps the keys it saw in the checkpoints' own history).
 */
export class StatementSigner {
  constructor(private readonly keys: KeyRing) {}

  async sign(payload: Record<string, unknown>): Promise<string> {
    const { kid, key } = await this.keys.signingKey('ES256');
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid, typ: 'vesta-statement' }).sign(key);
  }

  /** The payload when the signature is good and by a published key; throws otherwise. */
  async verify(jws: string): Promise<Record<string, unknown>> {
    const jwks = createLocalJWKSet(await this.keys.jwks());
    const { payload } = await compactVerify(jws, jwks, { algorithms: ['ES256', 'RS256'] });
    return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  }
}
