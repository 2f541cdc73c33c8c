import type { AccessPolicy } from '../vocabulary/access.js';

export type { AccessPolicy, Decision, InteractionContext } from '../vocabulary/access.js';

/** Allows everything: the policy until SMART authorization lands. Still called on every interaction. */
export const allowAllPolicy: AccessPolicy = {
  decide: async () => ({ allow: true }),
};
