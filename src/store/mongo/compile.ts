/**
 * The search plan (vocabulary/plan.ts) compiled to a MongoDB filter on the current documents of one resource type
 * (documents.ts), following the semantics documented on `Clause` exactly.
 *
 * Security by construction: every field name and operator here is a constant of this file; user values only ever
 * appear as operands, wrapped in `$eq`/`$in`/range operators (so even a value that is an object at run time is a
 * literal), and the one regex (`contains`) is built with every non-alphanumeric ASCII character hex-escaped.
 *
 * Chains and `_has` run in stages: the inner query is run first (through `StageRunner`) and its ids become an `$in`
 * list of the outer filter. A stage that finds more than MAX_STAGE_IDS ids is refused with a clear
 * OperationOutcome (too-costly) rather than answered partially.
 */
import type { Document } from 'mongodb';
import { badRequest } from '../../fhir/outcome.js';
import type { Clause, Prefix } from '../../vocabulary/plan.js';
import { ARRAY_OF, ARRAYS, type IndexArrays } from './documents.js';

/** The most ids one chain or `_has` stage may carry into the next (documented in docs/mongodb.md). */
export const MAX_STAGE_IDS = 10_000;

/** Runs the inner queries of chains and `_has` (the store implements it over its collections). */
export interface StageRunner {
  /** Resource types that have a collection (for a chain whose target types are not named). */
  types(): Promise<string[]>;
  /** Ids of live resources of `type` matching `where`; at most `limit` + 1 (so the caller can tell it overflowed). */
  ids(type: string, where: Clause, limit: number): Promise<string[]>;
  /** Target ids of reference param `param` of live `sourceType` resources matching `where`, pointing at `targetType`. */
  referencedIds(sourceType: string, param: string, targetType: string, where: Clause, limit: number): Promise<string[]>;
}

type Leaf = Extract<Clause, { kind: 'string' | 'token' | 'range' | 'reference' | 'uri' }>;

const NEVER: Document = { _id: { $in: [] } };
const ALWAYS: Document = {};

/** Compiles `clause` into a filter on the current documents of `type` (live-ness is the caller's condition). */
export async function compileFilter(clause: Clause, type: string, stages: StageRunner): Promise<Document> {
  switch (clause.kind) {
    case 'and': {
      if (clause.clauses.length === 0) return ALWAYS;
      const parts = await Promise.all(clause.clauses.map((c) => compileFilter(c, type, stages)));
      return parts.length === 1 ? parts[0]! : { $and: parts };
    }
    case 'or': {
      if (clause.clauses.length === 0) return NEVER;
      const parts = await Promise.all(clause.clauses.map((c) => compileFilter(c, type, stages)));
      return parts.length === 1 ? parts[0]! : { $or: parts };
    }
    case 'not':
      return { $nor: [await compileFilter(clause.clause, type, stages)] };
    case 'ids':
      return { _id: { $in: [...clause.ids] } };
    case 'missing': {
      if (clause.param.code === '_id') return clause.missing ? NEVER : ALWAYS;
      // A composite is present when its first component is (index-values.ts).
      const code = clause.param.type === 'composite' ? `${clause.param.code}.0` : clause.param.code;
      const arrays = arraysOf(clause.param.type);
      const present = arrays.map((a) => ({ [`${a}.p`]: { $eq: code } }));
      if (clause.missing) return { $nor: present };
      return present.length === 1 ? present[0]! : { $or: present };
    }
    case 'string': case 'token': case 'range': case 'reference': case 'uri':
      if (clause.kind === 'token' && clause.param.code === '_id') {
        if (clause.code === undefined || (clause.system !== undefined && clause.system !== null)) return NEVER;
        return { _id: { $eq: clause.code } };
      }
      return { [leafArray(clause)]: { $elemMatch: leafCondition(clause) } };
    case 'composite': {
      if (clause.parts.length === 0) return ALWAYS;
      // Every part matched inside the same group (cx holds one element per group).
      const parts = clause.parts.map((part) => {
        if (!isLeaf(part)) throw badRequest('A composite search parameter part must be a simple value.');
        return { [leafArray(part)]: { $elemMatch: leafCondition(part) } };
      });
      return { cx: { $elemMatch: parts.length === 1 ? parts[0]! : { $and: parts } } };
    }
    case 'chain': {
      const targets = clause.targetTypes.length > 0 ? clause.targetTypes : await stages.types();
      const byType: Document[] = [];
      let carried = 0;
      for (const t of targets) {
        const ids = await stages.ids(t, clause.where, MAX_STAGE_IDS);
        carried += ids.length;
        if (carried > MAX_STAGE_IDS) throw tooCostly(clause.param.code);
        if (ids.length > 0) {
          byType.push({ r: { $elemMatch: { p: { $eq: clause.param.code }, tt: { $eq: t }, ti: { $in: ids } } } });
        }
      }
      if (byType.length === 0) return NEVER;
      return byType.length === 1 ? byType[0]! : { $or: byType };
    }
    case 'has': {
      const ids = await stages.referencedIds(clause.sourceType, clause.param.code, type, clause.where, MAX_STAGE_IDS);
      if (ids.length > MAX_STAGE_IDS) throw tooCostly(`_has:${clause.sourceType}:${clause.param.code}`);
      return ids.length === 0 ? NEVER : { _id: { $in: ids } };
    }
    default: {
      const never: never = clause;
      throw badRequest(`unsupported search clause ${(never as { kind: string }).kind}`);
    }
  }
}

function tooCostly(what: string) {
  return badRequest(
    `The search through ${what} matches more than ${MAX_STAGE_IDS} resources in one stage on the MongoDB store; narrow the inner criteria.`,
    undefined, 'too-costly',
  );
}

function isLeaf(c: Clause): c is Leaf {
  return c.kind === 'string' || c.kind === 'token' || c.kind === 'range' || c.kind === 'reference' || c.kind === 'uri';
}

/** The index arrays that can hold rows of a parameter of this type (composites spread over all). */
function arraysOf(type: string): (keyof IndexArrays)[] {
  switch (type) {
    case 'string': case 'token': case 'date': case 'number': case 'quantity': case 'reference': case 'uri':
      return [ARRAY_OF[type]];
    default:
      return [...ARRAYS];
  }
}

/** The index array a leaf reads. */
function leafArray(c: Leaf): keyof IndexArrays {
  switch (c.kind) {
    case 'string': return 's';
    case 'token': return 't';
    case 'reference': return 'r';
    case 'uri': return 'u';
    case 'range':
      switch (c.param.type) {
        case 'date': return 'd';
        case 'number': return 'n';
        case 'quantity': return 'q';
        default: throw badRequest(`Parameter ${c.param.code} does not take a range.`);
      }
    default: {
      const never: never = c;
      throw badRequest(`unsupported leaf ${(never as { kind: string }).kind}`);
    }
  }
}

/**
 * The least string above every string that starts with `p` (its last code point incremented), or undefined.
 * MongoDB compares strings by UTF-8 bytes without a collation, which orders like code points.
 */
function prefixUpperBound(p: string): string | undefined {
  const points = [...p].map((ch) => ch.codePointAt(0)!);
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop();
  const last = points.pop();
  if (last === undefined) return undefined;
  points.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
  return String.fromCodePoint(...points);
}

/** `field starts with p` as an index range (no regex). */
function startsWith(p: string): Document {
  const upper = prefixUpperBound(p);
  return upper === undefined ? { $gte: p } : { $gte: p, $lt: upper };
}

/**
 * A regex source matching `value` literally: every ASCII character that is not a letter or digit becomes `\x{hh}`
 * (so no metacharacter, escape or NUL survives); other characters are literal in PCRE's and Java's UTF mode.
 */
export function literalRegex(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    out += cp < 0x80 && !/[A-Za-z0-9]/.test(ch) ? `\\x{${cp.toString(16)}}` : ch;
  }
  return out;
}

/** The condition on one index row (inside `$elemMatch`), its param included. */
function leafCondition(c: Leaf): Document {
  const cond: Document = { p: { $eq: c.param.code } };
  switch (c.kind) {
    case 'string':
      if (c.mode === 'exact') {
        if (c.folded !== undefined) cond['v'] = { $eq: c.folded };
        cond['e'] = { $eq: c.value };
      } else if (c.mode === 'prefix') cond['v'] = startsWith(c.value);
      else cond['v'] = { $regex: literalRegex(c.value) };
      return cond;
    case 'token':
      return tokenConditions(cond, c.system, c.code);
    case 'range': {
      const and: Document[] = [rangeCondition(c.prefix, c.low, c.high)];
      if (c.param.type === 'quantity') {
        tokenConditions(cond, c.system, c.code);
        if (c.unit !== undefined) and.push({ $or: [{ c: { $eq: c.unit } }, { u: { $eq: c.unit } }] });
      }
      cond['$and'] = and;
      return cond;
    }
    case 'reference': {
      const local: Document = {};
      if (c.id !== undefined) local['ti'] = { $eq: c.id };
      if (c.targetType !== undefined) local['tt'] = { $eq: c.targetType };
      const hasLocal = Object.keys(local).length > 0;
      if (hasLocal && c.url !== undefined && c.id !== undefined) cond['$or'] = [local, { u: { $eq: c.url } }];
      else if (c.url !== undefined) cond['u'] = { $eq: c.url };
      else Object.assign(cond, local);
      return cond;
    }
    case 'uri':
      switch (c.mode) {
        case 'exact': cond['v'] = { $eq: c.value }; break;
        case 'below': cond['v'] = startsWith(c.value); break;
        // The stored value is a prefix of the query value: one of its finitely many prefixes.
        case 'above': cond['v'] = { $in: [...c.value].map((_, i, a) => a.slice(0, i + 1).join('')) }; break;
        default:
          throw badRequest('unsupported uri mode');
      }
      return cond;
    default: {
      const never: never = c;
      throw badRequest(`unsupported leaf ${(never as { kind: string }).kind}`);
    }
  }
}

/** Token rules: system undefined = any, null = stored system is null; code undefined = any. */
function tokenConditions(cond: Document, system: string | null | undefined, code: string | undefined): Document {
  if (code !== undefined) cond['c'] = { $eq: code };
  if (system === null) cond['s'] = { $eq: null };
  else if (system !== undefined) cond['s'] = { $eq: system };
  return cond;
}

/** The stored range [lo, hi] against the query range [low, high] for each prefix (plan.ts, search.html#prefix). */
function rangeCondition(prefix: Prefix, low: number, high: number): Document {
  const within = { lo: { $gte: low }, hi: { $lte: high } };
  switch (prefix) {
    case 'eq': return within;
    case 'ne': return { $nor: [within] };
    case 'gt': return { hi: { $gt: high } };
    case 'lt': return { lo: { $lt: low } };
    case 'ge': return { hi: { $gte: low }, $or: [{ hi: { $gt: high } }, { lo: { $gte: low } }] };
    case 'le': return { lo: { $lte: high }, $or: [{ lo: { $lt: low } }, { hi: { $lte: high } }] };
    case 'sa': return { lo: { $gt: high } };
    case 'eb': return { hi: { $lt: low } };
    case 'ap': return { lo: { $lte: high }, hi: { $gte: low } };
    default: {
      const never: never = prefix;
      throw badRequest(`unknown prefix ${String(never)}`);
    }
  }
}
