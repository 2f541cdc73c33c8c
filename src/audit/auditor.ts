import type { Auditor } from '../vocabulary/access.js';

export type { AccessEvent, Auditor, SecurityEvent } from '../vocabulary/access.js';

/** Records nothing: the auditor with `VESTA_AUDIT=off` (development and benchmarks) and of CLI tools that read. */
export const noopAuditor: Auditor = {
  off: true,
  record: async () => undefined,
  recordSecurity: async () => undefined,
};
