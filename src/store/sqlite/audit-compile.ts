import type { Clause, Prefix, StoreQuery } from '../../vocabulary/plan.js';
import { unsupportedAudit as unsupported } from '../audit-order.js';

/** SQL text with its bound values (user values are only ever bound). */
export interface AuditSql {
  where: string;
  args: unknown[];
}

/** Systems of the codes stored without one (FHIR R4 valuesets audit-event-action, audit-event-outcome). */
const CODE_SYSTEMS: Readonly<Record<string, string>> = {
  action: 'http://hl7.org/fhir/audit-event-action',
  outcome: 'http://hl7.org/fhir/audit-event-outcome',
};


function rangeSql(prefix: Prefix, col: string, low: number, high: number, args: unknown[]): string {
  const bind = (v: number): string => (args.push(Math.floor(v)), '?');
  // A recorded instant is a point: the plan's [lo, hi] semantics (vocabulary/plan.ts) with lo = hi = recorded.
  switch (prefix) {
    case 'eq': case 'ap': return `(${col} >= ${bind(low)} AND ${col} <= ${bind(high)})`;
    case 'ne': return `NOT (${col} >= ${bind(low)} AND ${col} <= ${bind(high)})`;
    case 'gt': case 'sa': return `${col} > ${bind(high)}`;
    case 'lt': case 'eb': return `${col} < ${bind(low)}`;
    case 'ge': return `${col} >= ${bind(low)}`;
    case 'le': return `${col} <= ${bind(high)}`;
  }
}

/** A `system|code` column against a token clause. */
function systemCodeSql(col: string, system: string | null | undefined, code: string | undefined, args: unknown[]): string {
  if (system === null) return '0';
  const conds: string[] = [];
  if (code !== undefined) conds.push(`substr(${col}, instr(${col}, '|') + 1) = ?`), args.push(code);
  if (system !== undefined) conds.push(`substr(${col}, 1, instr(${col}, '|') - 1) = ?`), args.push(system);
  return conds.length === 0 ? '1' : `(${conds.join(' AND ')})`;
}

function entityExists(cond: string, args: unknown[], extra: unknown[]): string {
  args.push(...extra);
  return `EXISTS (SELECT 1 FROM audit_entity e WHERE e.seq = a.seq AND ${cond})`;
}

/** A reference (`Type/id`, or a bare id of any type) against a `Type/id` column. */
function refMatch(col: string, c: Extract<Clause, { kind: 'reference' }>, args: unknown[]): string {
  if (c.url !== undefined) throw unsupported('absolute references');
  if (c.id === undefined) throw unsupported('references without an id');
  if (c.targetType !== undefined) {
    args.push(`${c.targetType}/${c.id}`);
    return `${col} = ?`;
  }
  args.push(c.id);
  return `substr(${col}, instr(${col}, '/') + 1) = ?`;
}

function leaf(c: Clause, args: unknown[]): string {
  switch (c.kind) {
    case 'and': case 'or':
      return `(${c.clauses.map((x) => leaf(x, args)).join(c.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT (${leaf(c.clause, args)})`;
    case 'ids': {
      const seqs = c.ids.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
      if (seqs.length === 0) return '0';
      args.push(...seqs);
      return `a.seq IN (${seqs.map(() => '?').join(', ')})`;
    }
    case 'range':
      if ((c.param.code !== 'date' && c.param.code !== '_lastUpdated') || c.system !== undefined || c.code !== undefined || c.unit !== undefined) {
        throw unsupported(`'${c.param.code}' as a range`);
      }
      return rangeSql(c.prefix, 'a.recorded', c.low, c.high, args);
    case 'token':
      switch (c.param.code) {
        case 'type': return systemCodeSql('a.type', c.system, c.code, args);
        case 'subtype': return systemCodeSql('a.subtype', c.system, c.code, args);
        case 'action': case 'outcome': case 'site': {
          const col = `a.${c.param.code}`;
          const known = CODE_SYSTEMS[c.param.code];
          if (c.system === null || (c.system !== undefined && c.system !== known)) return '0';
          if (c.code === undefined) return '1';
          args.push(c.code);
          return `${col} = ?`;
        }
        case 'entity-type':
          if (c.code === undefined) return '1';
          return entityExists('(e.entity_type = ? OR e.type = ?)', args, [c.code, c.code]);
        default:
          throw unsupported(`'${c.param.code}'`);
      }
    case 'reference':
      switch (c.param.code) {
        case 'agent': return refMatch('a.who', c, args);
        case 'entity': return `EXISTS (SELECT 1 FROM audit_entity e WHERE e.seq = a.seq AND ${refMatch('e.ref', c, args)})`;
        case 'patient':
          if (c.targetType !== undefined && c.targetType !== 'Patient') return '0';
          return `EXISTS (SELECT 1 FROM audit_entity e WHERE e.seq = a.seq AND e.role = 'patient' AND ${refMatch('e.ref', { ...c, targetType: 'Patient' }, args)})`;
        case 'source':
          if (c.id === undefined) throw unsupported('references without an id');
          args.push(c.id);
          return 'a.site = ?';
        default:
          throw unsupported(`'${c.param.code}'`);
      }
    case 'string': {
      const col = c.param.code === 'agent-name' ? 'a.agent_names' : c.param.code === 'address' ? 'lower(a.address)' : undefined;
      if (!col) throw unsupported(`'${c.param.code}'`);
      const value = c.mode === 'exact' ? (c.folded ?? c.value.toLowerCase()) : c.value;
      // Names are kept folded, one per line: a prefix starts a line, an exact value is a whole line.
      args.push(c.mode === 'prefix' ? `\n${value}` : c.mode === 'exact' ? `\n${value}\n` : value);
      return c.mode === 'contains' ? `instr(${col}, ?) > 0` : `instr(char(10) || ${col} || char(10), ?) > 0`;
    }
    case 'missing': case 'uri': case 'composite': case 'chain': case 'has':
      throw unsupported(c.kind === 'missing' ? ':missing' : c.kind === 'chain' ? 'chained parameters' : c.kind === 'has' ? '_has' : `'${c.param.code}'`);
  }
}

/** The WHERE of an AuditEvent search over `audit_log a`; throws UnsupportedAuditQuery for what it cannot carry. */
export function compileAuditWhere(query: StoreQuery): AuditSql {
  const args: unknown[] = [];
  const where = query.where ? leaf(query.where, args) : '1';
  return { where, args };
}
