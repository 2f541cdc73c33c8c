import type { AuthContext } from './context.js';
import type { Interaction } from '../interactions/types.js';
import type { Restriction } from '../services/search-service.js';

/** What the access-decision hook sees about one interaction (one per Bundle entry too). */
export interface InteractionContext {
  requestId: string;
  principal: AuthContext;
  interaction: Interaction;
  /** `$name` for operations. */
  operation?: string;
  resourceType?: string;
  id?: string;
  /** The patient whose compartment the request targets, when it does (`Patient/123/Observation`). */
  compartmentPatient?: string;
}

/** The answer of the access-decision hook; `restrict` is ANDed into every read and search. */
export interface Decision {
  allow: boolean;
  restrict?: Restriction;
  reason?: string;
}

/** The access-decision hook: called exactly once before every interaction. */
export interface AccessPolicy {
  decide(ctx: InteractionContext): Promise<Decision>;
}

/** Allows everything: the policy until SMART authorization lands. Still called on every interaction. */
export const allowAllPolicy: AccessPolicy = {
  decide: async () => ({ allow: true }),
};
