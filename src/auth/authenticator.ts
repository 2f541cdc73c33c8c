import { ANONYMOUS } from '../vocabulary/access.js';
import type { AuthContext } from '../vocabulary/access.js';

/** Turns request headers into an AuthContext exactly once per request (401 via FhirError on bad credentials). */
export interface Authenticator {
  authenticate(headers: Record<string, string | undefined>): Promise<AuthContext>;
}

/** Everyone is anonymous: the authenticator until SMART-on-FHIR lands. */
export const anonymousAuthenticator: Authenticator = {
  authenticate: async () => ANONYMOUS,
};
