import { parseArgs } from 'node:util';
import { AuditMaintenance } from '../../audit/maintenance.js';
import { noopAuditor } from '../../audit/auditor.js';
import { renderAuditEvent } from '../../audit/render.js';
import { StatementSigner } from '../../auth/jws.js';
import { toolTokens } from '../../auth/setup.js';
import { parseInstant } from '../../fhir/instant.js';
import { createLogger } from '../../logging/logger.js';
import { openStore } from '../../store/factory.js';
import type { Command, CommandContext } from '../command.js';
import { UsageError } from '../command.js';

const USAGE = `Usage:
  vesta audit verify [--from DATE] [--to DATE] [--json]   walk the hash chain and the signed checkpoints; exit 0 only when intact
  vesta audit export [--from DATE] [--to DATE]            write the AuditEvents as NDJSON on stdout (for a SIEM)
  vesta audit checkpoint [--json]                         sign the chain head now

DATE is a FHIR date or instant (2026-01-31, 2026-01-31T10:00:00Z). Safe while the server runs on the same data.`;

function window(values: { from?: string | undefined; to?: string | undefined }): { from?: number; to?: number } {
  const out: { from?: number; to?: number } = {};
  if (values.from) out.from = Date.parse(parseInstant(values.from, '--from'));
  // A date as the end means its whole day.
  if (values.to) out.to = Date.parse(parseInstant(values.to, '--to')) + (values.to.includes('T') ? 0 : 86_399_999);
  return out;
}

async function withMaintenance<T>(ctx: CommandContext, work: (m: AuditMaintenance, trail: Awaited<ReturnType<typeof openStore>>['auditTrail']) => Promise<T>): Promise<T> {
  const opened = await openStore(ctx.config, 'tool');
  try {
    const { keys } = await toolTokens(ctx.config, opened.authState);
    const signer = new StatementSigner(keys);
    const m = new AuditMaintenance({
      trail: opened.auditTrail, sign: (p) => signer.sign(p), verify: (jws) => signer.verify(jws), auditor: noopAuditor,
      site: ctx.config.audit.site, log: createLogger('error', true),
    });
    return await work(m, opened.auditTrail);
  } finally {
    await opened.store.close();
  }
}

/** `vesta audit`: verify the audit trail, export it for a SIEM, or checkpoint it (IHE BALP records; issue 13). */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'Verify the audit trail\'s hash chain, export AuditEvents as NDJSON, or checkpoint the chain head',
  usage: USAGE,
  async run(args, ctx) {
    const [verb, ...rest] = args;
    const { values } = parseArgs({ args: rest, strict: true, allowPositionals: false, options: { from: { type: 'string' }, to: { type: 'string' } } });
    switch (verb) {
      case 'verify':
        return withMaintenance(ctx, async (m) => {
          const w = window(values);
          const report = await m.verify(w.from, w.to);
          const perSecond = report.ms > 0 ? Math.round((report.checked / report.ms) * 1000) : undefined;
          if (ctx.json) ctx.out(JSON.stringify({ ...report, eventsPerSecond: perSecond }));
          else if (report.intact) ctx.out(`intact: ${report.checked} records (${report.from ?? '-'} to ${report.to ?? '-'}), ${report.checkpoints} signed checkpoints, ${Math.round(report.ms)} ms`);
          else ctx.out(`BROKEN at record ${report.broken!.seq}: ${report.broken!.problem} (${report.checked} records checked before it)`);
          return report.intact ? 0 : 1;
        });
      case 'export':
        return withMaintenance(ctx, async (_m, trail) => {
          const w = window(values);
          const bounds = await trail.bounds();
          if (!bounds) return 0;
          const from = w.from !== undefined ? (await trail.seqAt(w.from, 'from')) ?? bounds.last + 1 : bounds.first;
          const to = w.to !== undefined ? (await trail.seqAt(w.to, 'to')) ?? bounds.first - 1 : bounds.last;
          for await (const link of trail.links(from, to, 1000)) process.stdout.write(`${JSON.stringify(renderAuditEvent(link.seq, link.text))}\n`);
          return 0;
        });
      case 'checkpoint':
        return withMaintenance(ctx, async (m) => {
          const c = await m.checkpoint();
          ctx.out(ctx.json ? JSON.stringify(c ? { seq: c.seq, hash: c.hash, created: new Date(c.created).toISOString() } : { unchanged: true })
            : c ? `checkpoint at record ${c.seq}` : 'the chain head is already checkpointed');
          return 0;
        });
      default:
        throw new UsageError('expected verify, export or checkpoint');
    }
  },
};
