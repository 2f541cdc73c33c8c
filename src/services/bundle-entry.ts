import type { FhirError } from '../fhir/outcome.js';
import type { ResourceStore, StoredVersion } from '../store/port.js';
import type { PreparedVersion } from './resource-service.js';
import type { HistoryService } from './history-service.js';
import type { ResourceService } from './resource-service.js';
import type { SearchService } from './search-service.js';
import type { EntryConditions, EntryMethod, PlannedEntry } from './bundle-plan.js';

/** The services an entry runs against: the store itself for a batch, the transaction's view for a transaction. */
export interface BundleScope {
  store: ResourceStore;
  resources: ResourceService;
  search: SearchService;
  history: HistoryService;
}

/** What running an entry means once its ids and references are settled. */
export type EntryWork =
  /** Dispatch `method path?query` through the interaction table. */
  | { kind: 'route' }
  /** A create whose id was assigned (and usually whose version was prepared) before the write lock. */
  | { kind: 'create'; commit: () => Promise<StoredVersion> }
  /** A conditional create whose `ifNoneExist` matched this resource: nothing is written (http.html#ccreate). */
  | { kind: 'existing'; version: StoredVersion }
  /** A conditional delete whose criteria matched nothing: succeeds without writing (http.html#cdelete). */
  | { kind: 'nothing-to-delete' }
  /** The entry cannot run; running it reports this error (so its hooks still run). */
  | { kind: 'fail'; error: FhirError };

/** One entry ready to run: the request as rewritten, plus the work it stands for. */
export interface ReadyEntry {
  index: number;
  method: EntryMethod;
  path: string;
  query: [string, string][];
  body?: unknown;
  conditions: EntryConditions;
  work: EntryWork;
}

/** Runs one entry (the interaction layer: table, hooks, result) and returns its outcome. */
export type EntryRunner<R> = (entry: ReadyEntry, scope: BundleScope) => Promise<R>;

/** An entry of a transaction while it is being settled (ids assigned, references resolved, create prepared). */
export interface WorkEntry extends PlannedEntry {
  /** The id a POST entry will get, assigned before the write lock. */
  createId?: string;
  /** True when what the entry's fullUrl means is only known by searching inside the transaction (conditional entries). */
  deferred?: boolean;
  /** True when the entry holds references that can only be resolved inside the transaction. */
  pending?: boolean;
  /** The validated and indexed version of a create, ready to write. */
  prepared?: PreparedVersion;
  /** Set when resolution already decided what the entry does. */
  work?: EntryWork;
}
