import type { Logger } from 'winston';
import type { AuthContext, ScopeGrant } from '../vocabulary/access.js';
import type { VerifiedClaims } from './jwt-verifier.js';
import { parseScopes } from './scopes.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `http://host/fhir/Practitioner/1` on this server → `Practitioner/1`; other forms unchanged. */
function localReference(ref: string | undefined, baseUrl: string): string | undefined {
  if (ref === undefined) return undefined;
  return ref.startsWith(`${baseUrl}/`) ? ref.slice(baseUrl.length + 1) : ref;
}

/**
 * A verified token's claims as the AuthContext every layer sees (SMART App Launch 2.x): its grants from `scope`,
 * and its launch context. Grants that cannot apply are dropped, never widened: `patient/` grants without a
 * `patient` claim, and `system/` grants in a token that acts for a user or a patient (system scopes are for
 * backend services).
 */
export function authContextOf(claims: VerifiedClaims, resourceTypes: ReadonlySet<string>, baseUrl: string, log: Logger): AuthContext {
  const parsed = parseScopes(str(claims.scope), resourceTypes);
  const patient = str(claims.patient);
  const fhirUser = localReference(str(claims.fhirUser), baseUrl);
  const dropped: string[] = [...parsed.ignored];
  const grants = parsed.grants.filter((g: ScopeGrant) => {
    if (g.context === 'patient' && patient === undefined) return void dropped.push(`${g.context}/${g.resourceType} (no patient in context)`);
    if (g.context === 'system' && (patient !== undefined || fhirUser !== undefined)) return void dropped.push(`${g.context}/${g.resourceType} (token acts for a user)`);
    return true;
  });
  // Scope names are not PHI; they are logged (capped) so an operator can see why a token grants less than asked.
  if (dropped.length > 0) log.warn('token scopes ignored', { ignoredScopes: dropped.slice(0, 10).map((s) => s.slice(0, 100)), client: str(claims.client_id) });
  const ctx: AuthContext = { anonymous: false, grants };
  const set = <K extends keyof AuthContext>(k: K, v: AuthContext[K] | undefined): void => {
    if (v !== undefined) ctx[k] = v;
  };
  set('subject', str(claims.sub));
  set('clientId', str(claims.client_id) ?? str(claims.azp) ?? str(claims.cid));
  set('fhirUser', fhirUser);
  set('patient', patient);
  set('encounter', str(claims.encounter));
  set('tokenId', str(claims.jti));
  set('issuer', str(claims.iss));
  return ctx;
}
