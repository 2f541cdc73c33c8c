/**
 * A stable, human-readable text of a plan, for golden tests and debugging. JSON string quoting keeps every
 * user value visibly a literal.
 */
import type { Clause, SearchPlan } from '../vocabulary/plan.js';

const q = (s: string) => JSON.stringify(s);

/** One clause as text, e.g. `string(name prefix "ann")`; the same clause always prints the same way. */
export function printClause(c: Clause): string {
  switch (c.kind) {
    case 'and': case 'or': return `${c.kind}(${c.clauses.map(printClause).join(', ')})`;
    case 'not': return `not(${printClause(c.clause)})`;
    case 'missing': return `missing(${c.param.code} ${c.missing})`;
    case 'string': return `string(${c.param.code} ${c.mode} ${q(c.value)})`;
    case 'token': {
      const sys = c.system === undefined ? '*' : c.system === null ? 'null' : q(c.system);
      return `token(${c.param.code} ${sys}|${c.code === undefined ? '*' : q(c.code)})`;
    }
    case 'range': {
      const extra = [c.system === undefined ? '' : ` system=${c.system === null ? 'null' : q(c.system)}`,
        c.code === undefined ? '' : ` code=${q(c.code)}`, c.unit === undefined ? '' : ` unit=${q(c.unit)}`].join('');
      return `range(${c.param.code} ${c.prefix} [${num(c.low, c.param.type)}, ${num(c.high, c.param.type)}]${extra})`;
    }
    case 'reference':
      return `reference(${c.param.code}${c.targetType ? ` type=${c.targetType}` : ''}${c.id !== undefined ? ` id=${q(c.id)}` : ''}${c.url !== undefined ? ` url=${q(c.url)}` : ''})`;
    case 'uri': return `uri(${c.param.code} ${c.mode} ${q(c.value)})`;
    case 'composite': return `composite(${c.param.code}: ${c.parts.map(printClause).join(', ')})`;
    case 'chain': return `chain(${c.param.code} -> ${c.targetTypes.join('|')}: ${printClause(c.where)})`;
    case 'has': return `has(${c.sourceType}.${c.param.code}: ${printClause(c.where)})`;
    case 'ids': return `ids(${c.ids.map(q).join(', ')})`;
  }
}

/** Dates print as ISO instants (open ends as ±inf), other numbers as they are. */
function num(n: number, type: string): string {
  if (Math.abs(n) >= 8.64e15) return n < 0 ? '-inf' : '+inf';
  return type === 'date' ? new Date(n).toISOString() : String(n);
}

/** The whole plan as multi-line text, one aspect per line, empty aspects omitted. */
export function printPlan(p: SearchPlan): string {
  const lines = [`types: ${p.types.join(',') || '*'}`];
  if (p.where) lines.push(`where: ${printClause(p.where)}`);
  if (p.sort.length) lines.push(`sort: ${p.sort.map((s) => `${s.descending ? '-' : ''}${s.param.code}`).join(',')}`);
  lines.push(`count: ${p.count}`, `total: ${p.total}`);
  const inc = (i: SearchPlan['include'][number]) => `${i.sourceType}:${i.param}${i.targetType ? `:${i.targetType}` : ''}${i.iterate ? ' (iterate)' : ''}`;
  if (p.include.length) lines.push(`include: ${p.include.map(inc).join(', ')}`);
  if (p.revinclude.length) lines.push(`revinclude: ${p.revinclude.map(inc).join(', ')}`);
  if (p.summary) lines.push(`summary: ${p.summary}`);
  if (p.elements) lines.push(`elements: ${p.elements.join(',')}`);
  lines.push(`applied: ${p.applied.map(([k, v]) => `${k}=${v}`).join('&')}`);
  return lines.join('\n');
}
