import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KeyRing, SigningAlgorithm } from './key-ring.js';

/** What a token is for: its scopes, launch context and lifetime (SMART App Launch 2.x token response claims). */
export interface TokenRequest {
  /** Space-separated scopes. */
  scope: string;
  clientId: string;
  /** The user or system the token acts for; the fhirUser or the client when absent. */
  subject?: string;
  patient?: string;
  encounter?: string;
  /** A FHIR reference to the user (`Practitioner/123`). */
  fhirUser?: string;
  expiresInSeconds: number;
  /** Sign a token whose `exp` has already passed (for tests of expiry), otherwise valid. */
  expired?: boolean;
  alg?: SigningAlgorithm;
}

/** A signed access token and the facts about it a caller may need (revocation, expiry). */
export interface IssuedToken {
  token: string;
  jti: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/**
 * Signs access tokens as JWTs (RFC 9068 shape) with Vesta's current key: `iss`, `sub`, `aud` (the FHIR base), `exp`,
 * `iat`, `jti`, `scope`, `client_id`, and the SMART launch context claims `patient`, `encounter`, `fhirUser`.
 */
export class TokenIssuer {
  constructor(private readonly keys: KeyRing, private readonly issuer: string, private readonly audience: string) {}

  async sign(req: TokenRequest): Promise<IssuedToken> {
    const { kid, key } = await this.keys.signingKey(req.alg ?? 'RS256');
    const now = Math.floor(Date.now() / 1000);
    // An expired token is otherwise valid: issued a lifetime ago, expired an hour ago (beyond any clock skew).
    const iat = req.expired ? now - req.expiresInSeconds - 3600 : now;
    const exp = iat + req.expiresInSeconds;
    const jti = randomUUID();
    const claims: Record<string, unknown> = { scope: req.scope, client_id: req.clientId };
    if (req.patient !== undefined) claims.patient = req.patient;
    if (req.encounter !== undefined) claims.encounter = req.encounter;
    if (req.fhirUser !== undefined) claims.fhirUser = req.fhirUser;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: req.alg ?? 'RS256', kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(req.subject ?? req.fhirUser ?? req.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key);
    return { token, jti, expiresAt: exp };
  }
}
