import type { HistoryScope, Page, PageRequest, StoredVersion, VersionWrite } from '../vocabulary/versions.js';
import type { SearchCapabilities, StoreQuery } from '../vocabulary/plan.js';

export type { HistoryScope, Page, PageRequest, StoredVersion, VersionWrite } from '../vocabulary/versions.js';

/** What a store can do; the parser, the services and the CapabilityStatement consult this up front. */
export interface StoreCapabilities extends SearchCapabilities {
  /** The store's kind, for logs and messages (`sqlite`, `mongodb`). */
  name: string;
  /** Multi-resource atomic transactions (`transaction`); without them transaction Bundles are refused. */
  transactions: boolean;
}

/**
 * The store port. Stores are dumb: they never assign ids or versions, never check access, never validate,
 * never speak HTTP, and never throw `FhirError`.
 *
 * The one rule for conflicts: every write is a compare-and-set on the resource's current version. A store
 * rejects a write whose `expectedVersion` is not the current one with `VersionConflict` (naming the version it
 * found) and changes nothing; it never decides what the client hears. The write algorithm (ResourceService)
 * turns a conflict into 412 when the client sent `If-Match`, and otherwise re-reads and retries.
 *
 * Every write is atomic (the version, its history entry and its index rows together or not at all) and committed when
 * its promise resolves: visible to readers and safe from a crash of the process. It is on stable storage (safe from
 * power loss) once a later `sync()` resolves; the interaction pipeline syncs before any response leaves, so a
 * request's writes and its audit record share one disk flush. Reads see only committed data, except through the
 * `tx` view of `transaction` and `serialized`, which sees its own writes.
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
  vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined>;
  /** Versions newest first. */
  history(scope: HistoryScope, page: PageRequest): Promise<Page<StoredVersion>>;
  /** Current, non-deleted resources matching the query, one page. */
  search(query: StoreQuery): Promise<Page<StoredVersion>>;
  /**
   * Runs `work` atomically: everything it writes through `tx` is committed together or not at all. Only stores
   * whose capabilities say `transactions` support it; the others reject. A write through `tx` that fails other
   * than by a VersionConflict dooms the transaction: the store rolls it back and rejects, even if `work` caught the
   * error (a store need not make each write inside a transaction undoable on its own; MongoDB aborts a transaction
   * on a failed write, SQLite's writes inside one take no savepoint).
   */
  transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T>;
  /**
   * Runs a check-then-write (`work` searches or reads through `tx`, then writes through `tx`) so that no other
   * `serialized` call with the same `key` interleaves with it, in this process or any other sharing the store.
   * Conditional interactions use it so that two concurrent conditional creates with the same criteria create
   * one resource (FHIR R4 http.html#ccreate). A store may serialize more than asked (SQLite serializes every
   * writer); it must never serialize less. Inside a `transaction` or `serialized` view it runs `work` inline.
   */
  serialized<T>(key: string, work: (tx: ResourceStore) => Promise<T>): Promise<T>;
  /**
   * Resolves once every write committed before the call is on stable storage. Returns nothing when no committed
   * write waits for it: every request syncs before it answers, and most (reads) have nothing to flush, so they
   * skip an await instead of paying one for an empty promise.
   */
  sync(): Promise<void> | undefined;
  /** True when the store answers (readiness probe). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Thrown by a store when the expected version is not the current one (the one rule for conflicts, above). */
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
