import { renderAuditEvent } from '../../src/audit/render.js';
import type { AuditRecord } from '../../src/audit/record.js';
import type { AuditTrail } from '../../src/store/audit-trail.js';

/** One audit record as stored, with its AuditEvent as the API renders it. */
export interface RecordedAudit {
  seq: number;
  record: AuditRecord;
  event: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Every record of the store's trail (after the store's sync), optionally only those of one request id. */
export async function auditRecords(store: { sync(): Promise<void> | undefined; auditTrail(): AuditTrail }, requestId?: string): Promise<RecordedAudit[]> {
  await store.sync();
  const trail = store.auditTrail();
  const bounds = await trail.bounds();
  if (!bounds) return [];
  const out: RecordedAudit[] = [];
  for await (const l of trail.links(bounds.first, bounds.last, 5000)) {
    const record = JSON.parse(l.text) as AuditRecord;
    if (requestId === undefined || record.requestId === requestId) out.push({ seq: l.seq, record, event: renderAuditEvent(l.seq, l.text) });
  }
  return out;
}

let n = 0;
/** A fresh, well-formed X-Request-Id, so a test can find the audit records of its own request. */
export const requestId = (label: string): string => `${label}-${process.pid}-${++n}`;
