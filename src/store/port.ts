import type { IndexEntries } from './index-values.js';
import type { StoreQuery } from '../search/plan.js';

/** One stored version of a resource (or a deletion tombstone). */
export interface StoredVersion {
  resourceType: string;
  id: string;
  /** Decimal version number as a string, starting at "1". */
  versionId: string;
  /** ISO-8601 instant with milliseconds and `Z`. */
  lastUpdated: string;
  /** True for the tombstone written by a delete. */
  deleted: boolean;
  /** The HTTP verb that produced this version (history `request.method`). */
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The full resource JSON text, `meta` included; empty string for a tombstone. */
  json: string;
}

/** What to list in a history Bundle (FHIR R4 http.html#history). */
export interface HistoryScope {
  resourceType?: string;
  id?: string;
  /** Only versions with lastUpdated >= since (ISO instant). */
  since?: string;
  /** Only versions current at this instant (`_at`): the newest version of each resource with lastUpdated <= at. */
  at?: string;
}

/** Paging for history: page size and an opaque cursor from a previous page. */
export interface PageRequest {
  count: number;
  cursor?: string;
}

/** One page of results with opaque cursors to the neighbouring pages. */
export interface Page<T> {
  items: T[];
  next?: string;
  previous?: string;
  total?: number;
}

/** What a store can do; the parser, the services and the CapabilityStatement consult this up front. */
export interface StoreCapabilities {
  /** Multi-resource atomic transactions. */
  transactions: boolean;
  name: string;
}

/** A write for a resource version: the version itself plus its index values. */
export interface VersionWrite {
  version: StoredVersion;
  index: IndexEntries;
}

/**
 * The store port. Stores are dumb: they never assign ids or versions, never check access, never speak HTTP.
 * Every write is atomic and durable when the promise resolves. Version conflicts reject with a
 * `FhirError` 409 (or 412 when `expectedVersion` was given by the client via If-Match; the service decides).
 */
export interface ResourceStore {
  readonly capabilities: StoreCapabilities;
  /**
   * Writes a new version (create, update, or delete tombstone) and replaces the resource's index values.
   * `expectedVersion` is the versionId that must be current now (a tombstone's counts), or null when the id
   * must never have been used. Rejects with `VersionConflict` when the current version differs.
   */
  write(w: VersionWrite, expectedVersion: string | null): Promise<void>;
  /** Current version (possibly a tombstone) or undefined when the id was never used. */
  read(resourceType: string, id: string): Promise<StoredVersion | undefined>;
  /** Several current versions at once (missing ids are left out); used by _include and reference checks. */
  readMany(refs: { resourceType: string; id: string }[]): Promise<StoredVersion[]>;
  vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined>;
  /** Versions newest first. */
  history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>>;
  /** Current, non-deleted resources matching the query, one page. */
  search(query: StoreQuery): Promise<Page<StoredVersion>>;
  /** Runs `work` atomically: everything it writes through `tx` is committed together or not at all. */
  transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T>;
  /** True when the store answers (readiness probe). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Thrown by a store when the expected version is not the current one. */
export class VersionConflict extends Error {
  constructor(readonly resourceType: string, readonly id: string, readonly actual: string | null) {
    super(`version conflict on ${resourceType}/${id}`);
    this.name = 'VersionConflict';
  }
}

/**
 * Optional store capability for reindexing (kept off the main port on purpose: operational methods
 * do not belong in ResourceStore). Replaces index rows of resources without writing new versions.
 */
export interface IndexMaintenance {
  /**
   * Replaces the index rows of each given version, but only where it is still the current version
   * (a write that happened meanwhile already indexed itself). Returns how many were replaced.
   */
  replaceIndexes(entries: readonly VersionWrite[]): Promise<number>;
}

/** True when the store supports reindexing. */
export function supportsReindex(store: ResourceStore): store is ResourceStore & IndexMaintenance {
  return typeof (store as Partial<IndexMaintenance>).replaceIndexes === 'function';
}
