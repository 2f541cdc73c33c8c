import type { OperationOutcome } from 'fhir/r4.js';
import type { HistoryScope, Page, PageRequest, StoredVersion } from '../port.js';
import type { StoreQuery } from '../../vocabulary/plan.js';

/** What a read worker is started with. */
export interface ReadWorkerData {
  file: string;
  cacheMiB: number;
  busyTimeoutMs: number;
  /** Load the database into the worker's cache (up to cacheMiB) before answering (prewarm.ts). */
  prewarm: boolean;
}

/** The first message of every worker, once its connection is open (and warm, when asked). */
export interface ReadWorkerReady {
  ready: true;
  warmed?: { bytes: number; btrees: number; ms: number };
}

/** A request from the main thread to a read worker; `id` pairs it with its reply. */
export type ReadRequest =
  | { id: number; op: 'search'; query: StoreQuery }
  | { id: number; op: 'history'; scope: HistoryScope; page: PageRequest };

/** A read worker's reply: the page, the FhirError it threw (as data), or another error's message. */
export type ReadReply =
  | { id: number; page: Page<StoredVersion> }
  | { id: number; fhirError: { status: number; outcome: OperationOutcome; headers: Record<string, string> } }
  | { id: number; error: string };
