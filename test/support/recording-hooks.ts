import type { AccessEvent, Auditor, SecurityEvent } from '../../src/audit/auditor.js';
import type { AccessPolicy, Decision, InteractionContext } from '../../src/auth/policy.js';

/** A policy that allows everything (or answers with `decide`) and remembers every context it was asked about. */
export class RecordingPolicy implements AccessPolicy {
  readonly calls: InteractionContext[] = [];
  constructor(private readonly answer: (ctx: InteractionContext) => Decision | Promise<Decision> = () => ({ allow: true })) {}
  async decide(ctx: InteractionContext): Promise<Decision> {
    this.calls.push(ctx);
    return this.answer(ctx);
  }
  clear(): void {
    this.calls.length = 0;
  }
}

/** An auditor that keeps every event in memory. */
export class RecordingAuditor implements Auditor {
  readonly events: AccessEvent[] = [];
  readonly security: SecurityEvent[] = [];
  async record(event: AccessEvent): Promise<void> {
    this.events.push(event);
  }
  async recordSecurity(event: SecurityEvent): Promise<void> {
    this.security.push(event);
  }
  clear(): void {
    this.events.length = 0;
    this.security.length = 0;
  }
}
