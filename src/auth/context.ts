/** A SMART scope turned into a grant (filled in by the SMART issue). */
export interface ScopeGrant {
  context: 'patient' | 'user' | 'system';
  resourceType: string | '*';
  /** SMART v2 permission letters (`c r u d s`). */
  permissions: string;
}

/** Who is calling, parsed once per request from the token (anonymous until SMART lands). */
export interface AuthContext {
  anonymous: boolean;
  subject?: string;
  clientId?: string;
  fhirUser?: string;
  /** The patient in context: restricts access to that patient's compartment. */
  patient?: string;
  grants: readonly ScopeGrant[];
  tokenId?: string;
}

/** The principal used before authentication exists. */
export const ANONYMOUS: AuthContext = Object.freeze({ anonymous: true, grants: Object.freeze([]) });
