import type { InteractionContext } from '../auth/policy.js';
import type { AuditAction } from '../interactions/types.js';

/** One access to record: who did what to which resource, when, and how it ended. */
export interface AccessEvent {
  context: InteractionContext;
  action: AuditAction | null;
  /** HTTP status of the interaction (success or failure). */
  status: number;
  /** Time the interaction started (ISO instant). */
  recorded: string;
  durationMs: number;
  /** Ids of resources returned or written, when known (for the audit trail, never for logs). */
  entities?: { resourceType: string; id: string; versionId?: string }[];
}

/** The audit hook: called exactly once after every interaction, success or failure. */
export interface Auditor {
  record(event: AccessEvent): Promise<void>;
}

/** Records nothing: the auditor until the audit issue lands. Still called on every interaction. */
export const noopAuditor: Auditor = {
  record: async () => undefined,
};
