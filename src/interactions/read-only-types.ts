/** Types clients may read but never write: AuditEvents are written by the server's auditor alone (405 otherwise). */
export const READ_ONLY_TYPES: ReadonlySet<string> = new Set(['AuditEvent']);
