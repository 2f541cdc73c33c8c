/** Stored resource versions and pages of them: what stores return and every layer above passes along. */
import type { IndexEntries } from './index-values.js';

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

/** A write for a resource version: the version itself plus its search index values. */
export interface VersionWrite {
  version: StoredVersion;
  index: IndexEntries;
  /**
   * The JSON length of the version this one replaces, when the writer knows it: a store may then replace a large
   * version's index rows in steps (as it writes a large version's) rather than in one go.
   */
  replacedSize?: number;
}

/** A version ready to write: the stored form, its index values, and the stamped resource object. */
export interface PreparedVersion extends VersionWrite {
  resource: Record<string, unknown>;
}
