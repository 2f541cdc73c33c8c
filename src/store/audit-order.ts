/** What every store's AuditEvent search shares: its order, and the error for what it cannot carry. */
import type { StoreQuery } from '../vocabulary/plan.js';
import { UnsupportedAuditQuery } from './audit-trail.js';

/** The error for a part of an AuditEvent search no store carries, naming the parameters that are supported. */
export const unsupportedAudit = (what: string): UnsupportedAuditQuery =>
  new UnsupportedAuditQuery(`AuditEvent search does not support ${what}; use date, agent, agent-name, entity, entity-type, patient, type, subtype, action, outcome, source, site or address`);

/** The order of an AuditEvent search: by `date`/`_lastUpdated` (ties by seq) or by `_id`; seq ascending by default. */
export function auditOrder(query: StoreQuery): { byDate: boolean; descending: boolean } {
  if (query.sort.length === 0) return { byDate: false, descending: false };
  if (query.sort.length > 1) throw unsupportedAudit('sorting by more than one key');
  const key = query.sort[0]!;
  if (key.param.code === '_id') return { byDate: false, descending: key.descending };
  if (key.param.code === 'date' || key.param.code === '_lastUpdated') return { byDate: true, descending: key.descending };
  throw unsupportedAudit(`sorting by '${key.param.code}'`);
}
