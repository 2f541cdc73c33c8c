/**
 * AuditEvent searches compiled to a MongoDB filter on the audit records (mongo-audit-trail.ts), with the same reach
 * as the SQLite trail's compiler (sqlite/audit-compile.ts): what it cannot carry throws UnsupportedAuditQuery.
 * Field names are constants; user values are operands only (`$eq`, `$in`, ranges, a hex-escaped regex).
 */
import type { Document } from 'mongodb';
import type { Clause, Prefix, StoreQuery } from '../../vocabulary/plan.js';
import { unsupportedAudit as unsupported } from '../audit-order.js';
import { literalRegex } from './compile.js';

const CODE_SYSTEMS: Readonly<Record<string, string>> = {
  action: 'http://hl7.org/fhir/audit-event-action',
  outcome: 'http://hl7.org/fhir/audit-event-outcome',
};
const NEVER: Document = { _id: { $in: [] } };
const ALWAYS: Document = {};


/** A recorded instant is a point: the plan's [lo, hi] semantics with lo = hi = recorded. */
function range(prefix: Prefix, low: number, high: number): Document {
  const lo = Math.floor(low);
  const hi = Math.floor(high);
  switch (prefix) {
    case 'eq': case 'ap': return { recorded: { $gte: lo, $lte: hi } };
    case 'ne': return { $nor: [{ recorded: { $gte: lo, $lte: hi } }] };
    case 'gt': case 'sa': return { recorded: { $gt: hi } };
    case 'lt': case 'eb': return { recorded: { $lt: lo } };
    case 'ge': return { recorded: { $gte: lo } };
    case 'le': return { recorded: { $lte: hi } };
  }
}

/** A `system|code` column kept split as `<f>S`/`<f>C`. */
function systemCode(field: 'type' | 'subtype', system: string | null | undefined, code: string | undefined): Document {
  if (system === null) return NEVER;
  const cond: Document = {};
  if (code !== undefined) cond[`${field}C`] = { $eq: code };
  if (system !== undefined) cond[`${field}S`] = { $eq: system };
  return cond;
}

/** A reference (`Type/id`, or a bare id of any type) against a `Type/id` field (`ref`) and its id part (`refId`). */
function refMatch(c: Extract<Clause, { kind: 'reference' }>, ref: string, refId: string): Document {
  if (c.url !== undefined) throw unsupported('absolute references');
  if (c.id === undefined) throw unsupported('references without an id');
  return c.targetType !== undefined ? { [ref]: { $eq: `${c.targetType}/${c.id}` } } : { [refId]: { $eq: c.id } };
}

function text(mode: 'prefix' | 'exact' | 'contains', value: string): Document {
  if (mode === 'exact') return { $eq: value };
  if (mode === 'contains') return { $regex: literalRegex(value) };
  return { $regex: `^${literalRegex(value)}` };
}

function leaf(c: Clause): Document {
  switch (c.kind) {
    case 'and': return c.clauses.length === 0 ? ALWAYS : { $and: c.clauses.map(leaf) };
    case 'or': return c.clauses.length === 0 ? NEVER : { $or: c.clauses.map(leaf) };
    case 'not': return { $nor: [leaf(c.clause)] };
    case 'ids': {
      const seqs = c.ids.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
      return { _id: { $in: seqs } };
    }
    case 'range':
      if ((c.param.code !== 'date' && c.param.code !== '_lastUpdated') || c.system !== undefined || c.code !== undefined || c.unit !== undefined) {
        throw unsupported(`'${c.param.code}' as a range`);
      }
      return range(c.prefix, c.low, c.high);
    case 'token':
      switch (c.param.code) {
        case 'type': return systemCode('type', c.system, c.code);
        case 'subtype': return systemCode('subtype', c.system, c.code);
        case 'action': case 'outcome': case 'site': {
          const known = CODE_SYSTEMS[c.param.code];
          if (c.system === null || (c.system !== undefined && c.system !== known)) return NEVER;
          return c.code === undefined ? ALWAYS : { [c.param.code]: { $eq: c.code } };
        }
        case 'entity-type':
          if (c.code === undefined) return ALWAYS;
          // Dotted paths, not $elemMatch (FerretDB 1.x lacks it): each branch is one condition on one element.
          return { $or: [{ 'entities.entityType': { $eq: c.code } }, { 'entities.type': { $eq: c.code } }] };
        default:
          throw unsupported(`'${c.param.code}'`);
      }
    case 'reference':
      switch (c.param.code) {
        case 'agent': return refMatch(c, 'who', 'whoId');
        case 'entity': return refMatch(c, 'entities.ref', 'entities.refId');
        case 'patient':
          // The patients are kept apart (`patients`), so this is one condition on one array (no $elemMatch).
          if (c.targetType !== undefined && c.targetType !== 'Patient') return NEVER;
          return refMatch({ ...c, targetType: 'Patient' }, 'patients', 'patients');
        case 'source':
          if (c.id === undefined) throw unsupported('references without an id');
          return { site: { $eq: c.id } };
        default:
          throw unsupported(`'${c.param.code}'`);
      }
    case 'string': {
      const value = c.mode === 'exact' ? (c.folded ?? c.value.toLowerCase()) : c.value;
      if (c.param.code === 'agent-name') return { names: text(c.mode, value) };
      if (c.param.code === 'address') return { addressLower: text(c.mode, value) };
      throw unsupported(`'${c.param.code}'`);
    }
    case 'missing': case 'uri': case 'composite': case 'chain': case 'has':
      throw unsupported(c.kind === 'missing' ? ':missing' : c.kind === 'chain' ? 'chained parameters' : c.kind === 'has' ? '_has' : `'${c.param.code}'`);
  }
}

/** The filter of an AuditEvent search; throws UnsupportedAuditQuery for what it cannot carry. */
export function compileAuditFilter(query: StoreQuery): Document {
  return query.where ? leaf(query.where) : ALWAYS;
}
