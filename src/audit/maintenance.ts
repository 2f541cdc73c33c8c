import type { Logger } from 'winston';
import type { AuditCheckpoint, AuditTrail } from '../store/audit-trail.js';
import type { Auditor } from '../vocabulary/access.js';
import { verifyTrail } from './verify.js';
import type { CheckpointVerifier, VerifyReport } from './verify.js';

/** What the maintenance needs: the trail, a signer and verifier of statements, the auditor, the retention. */
export interface AuditMaintenanceDeps {
  trail: AuditTrail;
  sign: (payload: Record<string, unknown>) => Promise<string>;
  verify: CheckpointVerifier;
  auditor: Auditor;
  /** Days records are kept; undefined keeps them forever. */
  retentionDays?: number;
  site: string;
  log: Logger;
}

/**
 * Keeps the trail trustworthy over time: signed checkpoints of the chain head (periodically and on demand), so a
 * verifier can tell records cut off the end; and retention, which removes only whole checkpointed segments, after
 * verifying them, and records that it did (as an audit record of its own).
 */
export class AuditMaintenance {
  constructor(private readonly deps: AuditMaintenanceDeps) {}

  /** Signs the current chain head unless it is already checkpointed; returns the new checkpoint. */
  async checkpoint(): Promise<AuditCheckpoint | undefined> {
    const { trail } = this.deps;
    const bounds = await trail.bounds();
    if (!bounds) return undefined;
    const existing = await trail.checkpoints();
    if (existing[existing.length - 1]?.seq === bounds.last) return undefined;
    let hash: string | undefined;
    for await (const l of trail.links(bounds.last, bounds.last, 1)) hash = l.hash;
    if (hash === undefined) return undefined;
    const created = Date.now();
    const jws = await this.deps.sign({ seq: bounds.last, hash, created, site: this.deps.site });
    const c: AuditCheckpoint = { seq: bounds.last, hash, created, jws };
    await trail.addCheckpoint(c);
    return c;
  }

  /** Verifies the chain (or a window of it, epoch ms). */
  verify(from?: number, to?: number): Promise<VerifyReport> {
    return verifyTrail(this.deps.trail, { verifyCheckpoint: this.deps.verify, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }

  /**
   * Removes the records older than the retention: up to the newest checkpoint made before the cutoff (all its
   * records are older), once the whole chain verifies; then records the pruning in the trail.
   */
  async prune(now = Date.now()): Promise<{ removed: number; upTo?: number; refused?: string }> {
    const days = this.deps.retentionDays;
    if (days === undefined) return { removed: 0 };
    const cutoff = now - days * 86_400_000;
    const candidates = (await this.deps.trail.checkpoints()).filter((c) => c.created < cutoff);
    const upTo = candidates[candidates.length - 1];
    const anchor = await this.deps.trail.anchor();
    if (!upTo || (anchor && anchor.seq >= upTo.seq)) return { removed: 0 };
    const report = await this.verify();
    if (!report.intact) {
      this.deps.log.error('audit retention refused: the chain does not verify', { seq: report.broken?.seq, problem: report.broken?.problem });
      return { removed: 0, refused: report.broken?.problem ?? 'the chain does not verify' };
    }
    const removed = await this.deps.trail.prune(upTo);
    await this.deps.auditor.recordSecurity({
      kind: 'audit-pruned', success: true, recorded: new Date().toISOString(), client: {},
      reason: `Retention of ${days} days: removed ${removed} records up to the checkpoint at ${upTo.seq}`,
    });
    this.deps.log.info('audit records pruned', { removed, upTo: upTo.seq, retentionDays: days });
    return { removed, upTo: upTo.seq };
  }

  /** Runs checkpoints every `minutes` (and retention hourly) until the returned stop is called. */
  start(minutes: number): () => void {
    let lastPrune = 0;
    const tick = async (): Promise<void> => {
      try {
        await this.checkpoint();
        if (this.deps.retentionDays !== undefined && Date.now() - lastPrune > 3_600_000) {
          lastPrune = Date.now();
          await this.prune();
        }
      } catch (e) {
        this.deps.log.error('audit maintenance failed', { error: e instanceof Error ? e.message : String(e) });
      }
    };
    const timer = setInterval(() => void tick(), minutes * 60_000);
    timer.unref();
    return () => clearInterval(timer);
  }
}
