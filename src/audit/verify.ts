import { GENESIS_HASH, linkHash } from '../store/audit-trail.js';
import type { AuditCheckpoint, AuditLink, AuditTrail } from '../store/audit-trail.js';
import { entryOf } from './record.js';
import type { AuditRecord } from './record.js';

/** Checks a checkpoint's signature and returns what it states. */
export type CheckpointVerifier = (jws: string) => Promise<Record<string, unknown>>;

/** What a walk of the chain found. */
export interface VerifyReport {
  intact: boolean;
  /** Links checked, and the sequence numbers walked. */
  checked: number;
  from?: number;
  to?: number;
  /** The first broken link: where and what. */
  broken?: { seq: number; problem: string };
  checkpoints: number;
  ms: number;
}

/** Options of a verification: a time window (epoch ms) or the whole chain. */
export interface VerifyOptions {
  from?: number;
  to?: number;
  verifyCheckpoint: CheckpointVerifier;
}

const COLUMN_KEYS = ['recorded', 'type', 'subtype', 'action', 'outcome', 'who', 'agentNames', 'client', 'address', 'site'] as const;
const sameColumns = (a: AuditLink['columns'], b: AuditLink['columns']): boolean => COLUMN_KEYS.every((k) => a[k] === b[k]);

const sameEntities = (link: AuditLink, expected: ReturnType<typeof entryOf>): boolean => {
  const key = (e: { role: string; ref: string; type: string; entityType: string }): string => `${e.role}|${e.ref}|${e.type}|${e.entityType}`;
  const a = link.entities.map(key).sort();
  const b = [...new Set(expected.entities.map(key))].sort();
  return a.length === b.length && a.every((x, i) => x === b[i]);
};

/**
 * Walks the hash chain (HIPAA §164.312(b) integrity): every link's hash is SHA-256 over its predecessor's hash and
 * its canonical record, sequence numbers run without gaps, the searchable columns and entity rows say what the record
 * says, and every signed checkpoint in the window is signed by Vesta and matches the chain at its sequence number
 * (so records cut off the end are found too). Reports the first broken link: a modified, deleted, inserted or
 * reordered record breaks the chain at or right after it.
 */
export async function verifyTrail(trail: AuditTrail, opts: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const bounds = await trail.bounds();
  const anchor = await trail.anchor();
  const checkpoints = await trail.checkpoints();
  const report: VerifyReport = { intact: true, checked: 0, checkpoints: 0, ms: 0 };
  const fail = (seq: number, problem: string): VerifyReport => {
    report.intact = false;
    report.broken = { seq, problem };
    report.ms = performance.now() - started;
    return report;
  };
  // Checkpoints first: each must be genuine; the newest tells how long the chain was when it was made.
  const stated = new Map<number, AuditCheckpoint>();
  for (const c of checkpoints) {
    let payload: Record<string, unknown>;
    try {
      payload = await opts.verifyCheckpoint(c.jws);
    } catch {
      return fail(c.seq, 'a checkpoint\'s signature is not valid (or its key is no longer published)');
    }
    if (payload.seq !== c.seq || payload.hash !== c.hash) return fail(c.seq, 'a checkpoint\'s stored values differ from what it signed');
    stated.set(c.seq, c);
  }
  const newest = checkpoints[checkpoints.length - 1];
  const last = bounds?.last ?? anchor?.seq ?? 0;
  if (newest && newest.seq > last) return fail(last + 1, `records ${last + 1} to ${newest.seq} are missing: a checkpoint signed the chain up to ${newest.seq}`);
  if (!bounds) {
    report.ms = performance.now() - started;
    return report;
  }
  const start = anchor ? anchor.seq + 1 : 1;
  if (bounds.first !== start) return fail(start, `records ${start} to ${bounds.first - 1} are missing from the start of the chain`);
  const from = opts.from !== undefined ? (await trail.seqAt(opts.from, 'from')) ?? last + 1 : start;
  const to = opts.to !== undefined ? (await trail.seqAt(opts.to, 'to')) ?? start - 1 : last;
  report.from = from;
  report.to = to;
  let prevHash = anchor?.hash ?? GENESIS_HASH;
  let prevSeq = start - 1;
  if (from > start) {
    // A window starts from the recorded hash of the link before it (the links before the window are not walked).
    for await (const l of trail.links(from - 1, from - 1, 1)) {
      prevHash = l.hash;
      prevSeq = l.seq;
    }
    if (prevSeq !== from - 1) return fail(from - 1, 'the record before the window is missing');
  }
  for await (const link of trail.links(from, to, 2000)) {
    if (link.seq !== prevSeq + 1) return fail(prevSeq + 1, `record ${prevSeq + 1}${link.seq > prevSeq + 2 ? ` to ${link.seq - 1}` : ''} is missing (deleted)`);
    if (link.prevHash !== prevHash) return fail(link.seq, 'the link does not follow from the record before it (a record was inserted, removed or reordered)');
    if (linkHash(prevHash, link.text) !== link.hash) return fail(link.seq, 'the record was modified after it was written (its hash does not match)');
    let expected: ReturnType<typeof entryOf>;
    try {
      expected = entryOf(JSON.parse(link.text) as AuditRecord);
    } catch {
      return fail(link.seq, 'the record is not readable');
    }
    if (!sameColumns(expected.columns, link.columns) || !sameEntities(link, expected)) {
      return fail(link.seq, 'the record\'s search columns or entities were changed (they no longer say what the record says)');
    }
    const c = stated.get(link.seq);
    if (c) {
      if (c.hash !== link.hash) return fail(link.seq, 'the chain does not match the signed checkpoint at this record');
      report.checkpoints++;
    }
    prevHash = link.hash;
    prevSeq = link.seq;
    report.checked++;
  }
  if (prevSeq < to) return fail(prevSeq + 1, `record ${prevSeq + 1} is missing (deleted)`);
  report.ms = performance.now() - started;
  return report;
}
