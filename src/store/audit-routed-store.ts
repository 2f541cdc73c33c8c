import type { StoreQuery } from '../vocabulary/plan.js';
import type { HistoryScope, Page, PageRequest, StoredVersion, VersionWrite } from '../vocabulary/versions.js';
import type { AuditTrail, StoredAudit } from './audit-trail.js';
import { UnsupportedAuditQuery } from './audit-trail.js';
import type { IndexMaintenance, ResourceStore } from './port.js';
import { supportsReindex } from './port.js';

/** The resource type whose instances are the audit trail's records. */
export const AUDIT_EVENT = 'AuditEvent';

/** Turns a stored audit record into the AuditEvent version the API serves (the audit module renders it). */
export type AuditRenderer = (record: StoredAudit) => StoredVersion;

/**
 * A ResourceStore whose `AuditEvent` type is the audit trail: reads, searches and history of AuditEvents are answered
 * from the trail (rendered as FHIR AuditEvents), every other type from the resource store, so the read path, the
 * search path and the access restrictions are the same for both. AuditEvents are never written through it: the
 * trail is append-only and fed by the auditor alone. A system search or system history covers resources only.
 */
export class AuditRoutedStore implements ResourceStore, IndexMaintenance {
  readonly capabilities;

  constructor(private readonly inner: ResourceStore, private readonly trail: AuditTrail, private readonly render: AuditRenderer) {
    this.capabilities = inner.capabilities;
  }

  write(w: VersionWrite, expectedVersion: string | null): Promise<void> {
    if (w.version.resourceType === AUDIT_EVENT) return Promise.reject(new Error('AuditEvents are written by the auditor only'));
    return this.inner.write(w, expectedVersion);
  }

  // Other types pass straight through (not `async`: a returned promise would cost every read extra ticks).
  read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    return resourceType !== AUDIT_EVENT ? this.inner.read(resourceType, id) : this.readAudit(id);
  }

  private async readAudit(id: string): Promise<StoredVersion | undefined> {
    if (!/^\d{1,15}$/.test(id)) return undefined;
    const record = await this.trail.read(Number(id));
    return record ? this.render(record) : undefined;
  }

  vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    if (resourceType !== AUDIT_EVENT) return this.inner.vread(resourceType, id, versionId);
    return versionId === '1' ? this.readAudit(id) : Promise.resolve(undefined);
  }

  async history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>> {
    if (scope.resourceType !== AUDIT_EVENT) return this.inner.history(scope, page);
    if (scope.id !== undefined) {
      const v = await this.read(AUDIT_EVENT, scope.id);
      return { items: v ? [v] : [], total: v ? 1 : 0 };
    }
    // Every AuditEvent has one version: the type's history is the trail, newest first.
    const clauses = [];
    if (scope.since) clauses.push({ kind: 'range', param: { code: 'date', type: 'date' }, prefix: 'ge', low: Date.parse(scope.since), high: Date.parse(scope.since) } as const);
    if (scope.at) clauses.push({ kind: 'range', param: { code: 'date', type: 'date' }, prefix: 'le', low: Date.parse(scope.at), high: Date.parse(scope.at) } as const);
    return this.search({
      types: [AUDIT_EVENT], sort: [{ param: { code: 'date', type: 'date' }, descending: true }], count: page.count, cursor: page.cursor,
      total: 'accurate', ...(clauses.length > 0 ? { where: clauses.length === 1 ? clauses[0] : { kind: 'and', clauses: [...clauses] } } : {}),
    });
  }

  search(query: StoreQuery): Promise<Page<StoredVersion>> {
    return query.types.includes(AUDIT_EVENT) ? this.searchAudit(query) : this.inner.search(query);
  }

  private async searchAudit(query: StoreQuery): Promise<Page<StoredVersion>> {
    if (query.types.length > 1) throw new UnsupportedAuditQuery('AuditEvent can only be searched on its own (not with other types in _type)');
    const page = await this.trail.search(query);
    return { ...page, items: page.items.map(this.render) };
  }

  transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    return this.inner.transaction((tx) => work(new AuditRoutedStore(tx, this.trail, this.render)));
  }

  serialized<T>(key: string, work: (tx: ResourceStore) => Promise<T>): Promise<T> {
    return this.inner.serialized(key, (tx) => work(new AuditRoutedStore(tx, this.trail, this.render)));
  }

  sync(): Promise<void> | undefined {
    return this.inner.sync();
  }

  ping(): Promise<boolean> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  replaceIndexes(entries: readonly VersionWrite[]): Promise<number> {
    if (!supportsReindex(this.inner)) return Promise.reject(new Error('the store does not support reindexing'));
    return this.inner.replaceIndexes(entries.filter((e) => e.version.resourceType !== AUDIT_EVENT));
  }
}
