import type { Auditor } from '../vocabulary/access.js';

export type { AccessEvent, Auditor, SecurityEvent } from '../vocabulary/access.js';

/** Records nothing: the auditor until the audit issue lands. Still called on every interaction. */
export const noopAuditor: Auditor = {
  record: async () => undefined,
  recordSecurity: async () => undefined,
};
