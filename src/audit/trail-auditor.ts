import type { Logger } from 'winston';
import { FhirError } from '../fhir/outcome.js';
import type { AuditTrail } from '../store/audit-trail.js';
import type { AccessEvent, Auditor, SecurityEvent } from '../vocabulary/access.js';
import { entryOf, recordOfAccess, recordOfSecurity } from './record.js';

/** How long after a failed append the trail counts as unhealthy (readiness, and writes refused up front). */
const UNHEALTHY_FOR_MS = 5000;

/**
 * The auditor that keeps the trail: every interaction and security event becomes one audit record appended to the
 * store's trail, in the same group commit as the data (the pipeline then syncs once for both). If the trail cannot
 * record, the request fails closed with 503: nothing is served unaudited.
 */
export class TrailAuditor implements Auditor {
  private failedAt = -Infinity;

  constructor(private readonly trail: AuditTrail, private readonly site: string, private readonly log: Logger) {}

  record(event: AccessEvent): Promise<void> {
    return this.append(() => entryOf(recordOfAccess(event, this.site)));
  }

  recordSecurity(event: SecurityEvent): Promise<void> {
    return this.append(() => entryOf(recordOfSecurity(event, this.site)));
  }

  /** False for a while after an append failed (`/readyz` reports it; writes are refused before they start). */
  healthy(): boolean {
    return Date.now() - this.failedAt > UNHEALTHY_FOR_MS;
  }

  private async append(entry: () => ReturnType<typeof entryOf>): Promise<void> {
    try {
      await this.trail.append([entry()]);
    } catch (e) {
      this.failedAt = Date.now();
      this.log.error('audit trail append failed; refusing to serve unaudited', { error: e instanceof Error ? e.message : String(e) });
      throw new FhirError(503, [{
        severity: 'error', code: 'transient', diagnostics: 'The audit trail cannot record right now, so the request was not served; retry later',
      }], { 'Retry-After': '5' });
    }
  }
}
