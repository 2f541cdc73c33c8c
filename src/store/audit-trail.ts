/**
 * The audit trail's storage port (HIPAA §164.312(b), IHE BALP): an append-only, hash-chained log of compact audit
 * records with the columns AuditEvent searches need, rendered as FHIR AuditEvents by the audit module. It lives in
 * the same store as the data (the SQLite file, the MongoDB database), apart from the resource tables, and its
 * appends join the store's commits, so a request's audit record shares the fsync of the request's own writes.
 */
import { createHash } from 'node:crypto';
import type { Page } from '../vocabulary/versions.js';
import type { StoreQuery } from '../vocabulary/plan.js';

/** The hash before the first record of a chain that was never pruned. */
export const GENESIS_HASH = '0'.repeat(64);

/** The link hash every store computes the same way: SHA-256 over the previous link's hash, a newline, and the record's canonical text (hex). */
export function linkHash(prevHash: string, text: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(text).digest('hex');
}

/** What an AuditEvent search reads, per record. Codes are `system|code`; references `Type/id`. */
export interface AuditColumns {
  /** Epoch ms of `recorded`. */
  recorded: number;
  type: string;
  subtype: string;
  action: string;
  outcome: string;
  /** The requesting agent (`Practitioner/1`, or the token's subject). */
  who?: string;
  /** Folded names of the agents (user, client), for `agent-name`. */
  agentNames: string;
  client?: string;
  address?: string;
  site: string;
}

/** An entity row: a resource touched or a patient concerned. */
export interface AuditEntityRow {
  role: 'resource' | 'patient';
  /** `Type/id`. */
  ref: string;
  /** The resource type, and the audit entity type code (`1` person, `2` system object). */
  type: string;
  entityType: string;
}

/** One record to append: its canonical JSON text (what the chain hashes) and what searches read of it. */
export interface AuditEntry {
  text: string;
  columns: AuditColumns;
  entities: AuditEntityRow[];
}

/** One link of the chain as stored. */
export interface AuditLink {
  seq: number;
  prevHash: string;
  hash: string;
  text: string;
  columns: AuditColumns;
  entities: AuditEntityRow[];
}

/** A signed statement of the chain head at `seq` (a JWS over `{seq, hash, recorded}`). */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** Epoch ms when it was made. */
  created: number;
  jws: string;
}

/** The AuditEvent search parameters the trail carries (AuditEvent searches with others are 400). */
export const AUDIT_SEARCH_PARAMS: ReadonlySet<string> = new Set([
  '_id', '_lastUpdated', 'date', 'agent', 'agent-name', 'entity', 'entity-type', 'patient', 'type', 'subtype', 'action',
  'outcome', 'source', 'site', 'address',
]);

/** A stored audit record: its sequence number (its AuditEvent id) and canonical text. */
export interface StoredAudit {
  seq: number;
  text: string;
}

/** An AuditEvent search the trail cannot carry (the message says which part); the search service answers 400. */
export class UnsupportedAuditQuery extends Error {
  override name = 'UnsupportedAuditQuery';
}

/** The port. Appends are committed when they resolve and durable after the store's `sync()`. */
export interface AuditTrail {
  /** Appends records in order; each gets the next sequence number and the hash chained to the previous one. */
  append(entries: readonly AuditEntry[]): Promise<void>;
  read(seq: number): Promise<StoredAudit | undefined>;
  /** AuditEvent searches: the plan's clauses on AuditEvent parameters; throws UnsupportedAuditQuery for others. */
  search(query: StoreQuery): Promise<Page<StoredAudit>>;
  /** The links with `from <= seq <= to` in order, a batch at a time. */
  links(from: number, to: number, batch: number): AsyncIterable<AuditLink>;
  /** The first and last sequence numbers, and those of the first records at or after / at or before instants. */
  bounds(): Promise<{ first: number; last: number } | undefined>;
  seqAt(instant: number, side: 'from' | 'to'): Promise<number | undefined>;
  /** The hash before `seq` as the chain recorded it (the anchor after a prune), or undefined when `seq` starts the chain. */
  anchor(): Promise<{ seq: number; hash: string } | undefined>;
  addCheckpoint(c: AuditCheckpoint): Promise<void>;
  checkpoints(): Promise<AuditCheckpoint[]>;
  /** Removes the records up to `seq` (a verified checkpoint) and records the checkpoint as the chain's anchor. */
  prune(upTo: AuditCheckpoint): Promise<number>;
}
