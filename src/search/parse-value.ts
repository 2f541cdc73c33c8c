/**
 * One search value (already split at unescaped commas) of one parameter → a plan clause, per parameter type
 * and modifier (FHIR R4 search.html#string, #token, #date, #number, #quantity, #reference, #uri, #composite).
 * Values are only ever copied into data fields of the clause.
 */
import { badRequest, FhirError } from '../fhir/outcome.js';
import type { Clause, ParamRef, Prefix } from '../vocabulary/plan.js';
import type { SearchParamDef, SearchRegistry } from './parameters.js';
import {
  dateRange, looksLikeResourceType, normalizeReference, normalizeString, numberRange, parseTokenQuery, splitEscaped,
  stripCanonicalVersion, unescapeSearch, type Range,
} from './normalize.js';
import { expandValueSet } from './valuesets.js';

/** What a value parser needs besides the value. */
export interface ValueContext {
  registry: SearchRegistry;
  baseUrl: string;
  /** Epoch ms used to widen `ap` dates. */
  now: number;
  /** The query parameter name as written, for error messages. */
  name: string;
}

const PREFIXES: readonly Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

function invalid(ctx: ValueContext, why: string): FhirError {
  return badRequest(`Invalid value for search parameter '${ctx.name}': ${why}`, [ctx.name]);
}

function splitPrefix(raw: string): { prefix: Prefix; rest: string } {
  const p = raw.slice(0, 2);
  const found = PREFIXES.find((x) => x === p);
  return found && raw.length > 2 && !/^[0-9]/.test(raw.slice(0, 2)) ? { prefix: found, rest: raw.slice(2) } : { prefix: 'eq', rest: raw };
}

function ref(def: SearchParamDef, code = def.code): ParamRef {
  return { code, type: def.type };
}

/** `[prefix]date` → range clause; `ap` is widened by 10% of the distance between the value and now. */
function dateClause(def: SearchParamDef, code: string, raw: string, ctx: ValueContext): Clause {
  const { prefix, rest } = splitPrefix(raw);
  const r = dateRange(rest);
  if (!r) throw invalid(ctx, 'expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][zone]]]]');
  const widened = prefix === 'ap' ? widen(r, Math.abs(ctx.now - (r.low + r.high) / 2) * 0.1) : r;
  return { kind: 'range', param: { code, type: def.type }, prefix, low: widened.low, high: widened.high };
}

function widen(r: Range, by: number): Range {
  return { low: r.low - by, high: r.high + by };
}

/** `[prefix]number`; `ap` widens by 10% of the value. */
function numberClause(def: SearchParamDef, code: string, raw: string, ctx: ValueContext): Clause {
  const { prefix, rest } = splitPrefix(raw);
  const r = numberRange(rest);
  if (!r) throw invalid(ctx, 'expected [prefix]decimal');
  const w = prefix === 'ap' ? widen(r, Math.abs(r.value) * 0.1) : r;
  return { kind: 'range', param: { code, type: def.type }, prefix, low: w.low, high: w.high };
}

/** `[prefix]number[|system|code]` or `[prefix]number||unit`. */
function quantityClause(def: SearchParamDef, code: string, raw: string, ctx: ValueContext): Clause {
  const parts = splitEscaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) throw invalid(ctx, 'expected [prefix]number[|system|code]');
  const base = numberClause(def, code, parts[0], ctx);
  if (base.kind !== 'range' || parts.length === 1) return base;
  const system = unescapeSearch(parts[1]);
  const unit = unescapeSearch(parts[2]);
  if (system === '' && unit === '') return base;
  if (system === '') return { ...base, unit };
  return { ...base, system, ...(unit === '' ? {} : { code: unit }) };
}

function tokenClause(code: string, def: SearchParamDef, raw: string): Clause {
  const t = parseTokenQuery(raw);
  return { kind: 'token', param: { code, type: 'token' }, ...t };
}

/** A reference value: `Type/id`, bare `id` (typed by `:Type`), an absolute URL, or a canonical. */
function referenceClause(def: SearchParamDef, code: string, raw: string, typeModifier: string | undefined, ctx: ValueContext): Clause {
  const value = unescapeSearch(raw);
  const param: ParamRef = { code, type: 'reference' };
  if (value === '') throw invalid(ctx, 'empty reference');
  if (typeModifier !== undefined) {
    checkTarget(def, typeModifier, ctx);
    if (value.includes('/')) {
      const n = normalizeReference(value, ctx.baseUrl);
      if (n?.targetType !== typeModifier) throw invalid(ctx, 'reference type does not match the modifier');
      return { kind: 'reference', param, targetType: typeModifier, id: n.targetId ?? '' };
    }
    return { kind: 'reference', param, targetType: typeModifier, id: value };
  }
  if (!value.includes('/') && !value.includes(':')) return { kind: 'reference', param, id: value };
  const n = normalizeReference(value, ctx.baseUrl);
  if (!n) throw invalid(ctx, 'expected Type/id, id or an absolute URL');
  if (n.url !== null) return { kind: 'reference', param, url: stripCanonicalVersion(n.url) };
  checkTarget(def, n.targetType ?? '', ctx);
  return { kind: 'reference', param, targetType: n.targetType ?? undefined, id: n.targetId ?? undefined };
}

function checkTarget(def: SearchParamDef, type: string, ctx: ValueContext): void {
  if (!looksLikeResourceType(type) || !ctx.registry.isResourceType(type)) throw invalid(ctx, 'unknown resource type');
  if (def.targets.length > 0 && !def.targets.includes(type)) throw invalid(ctx, `${type} is not a target of this parameter`);
}

/**
 * The clause for one comma-free value of `def` (written under index code `code`, which differs from
 * `def.code` inside composites) with `modifier` (undefined when none).
 */
export function valueClause(def: SearchParamDef, code: string, modifier: string | undefined, raw: string, ctx: ValueContext): Clause {
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw invalid(ctx, ':missing takes true or false');
    return { kind: 'missing', param: ref(def, code), missing: raw === 'true' };
  }
  switch (def.type) {
    case 'string': {
      if (modifier !== undefined && modifier !== 'exact' && modifier !== 'contains') throw unsupported(ctx, modifier);
      const value = unescapeSearch(raw);
      const mode = modifier ?? 'prefix';
      if (mode === 'exact') return { kind: 'string', param: ref(def, code), mode, value, folded: normalizeString(value) };
      return { kind: 'string', param: ref(def, code), mode, value: normalizeString(value) };
    }
    case 'token':
      switch (modifier) {
        case undefined: return tokenClause(code, def, raw);
        case 'not': return { kind: 'not', clause: tokenClause(code, def, raw) };
        case 'text': return { kind: 'string', param: { code: `${code}:text`, type: 'string' }, mode: 'prefix', value: normalizeString(unescapeSearch(raw)) };
        case 'of-type': {
          const parts = splitEscaped(raw, '|');
          if (parts.length !== 3 || parts.some((p) => p === '')) throw invalid(ctx, ':of-type expects system|code|value');
          const [sys, typeCode, value] = parts.map(unescapeSearch);
          return { kind: 'token', param: { code: `${code}:of-type`, type: 'token' }, system: sys, code: `${typeCode}|${value}` };
        }
        case 'in': case 'not-in': {
          const concepts = expandValueSet(unescapeSearch(raw));
          if (!concepts) throw badRequest(`Value set for search parameter '${ctx.name}' is unknown or not enumerable`, [ctx.name], 'not-supported');
          const or: Clause = { kind: 'or', clauses: concepts.map((c) => ({ kind: 'token', param: { code, type: 'token' }, system: c.system, code: c.code })) };
          return modifier === 'in' ? or : { kind: 'not', clause: or };
        }
        default: throw unsupported(ctx, modifier);
      }
    case 'date':
      if (modifier !== undefined) throw unsupported(ctx, modifier);
      return dateClause(def, code, raw, ctx);
    case 'number':
      if (modifier !== undefined) throw unsupported(ctx, modifier);
      return numberClause(def, code, raw, ctx);
    case 'quantity':
      if (modifier !== undefined) throw unsupported(ctx, modifier);
      return quantityClause(def, code, raw, ctx);
    case 'reference':
      if (modifier === 'identifier') {
        return { kind: 'token', param: { code: `${code}:identifier`, type: 'token' }, ...parseTokenQuery(raw) };
      }
      if (modifier !== undefined && !looksLikeResourceType(modifier)) throw unsupported(ctx, modifier);
      return referenceClause(def, code, raw, modifier, ctx);
    case 'uri': {
      if (modifier !== undefined && modifier !== 'above' && modifier !== 'below') throw unsupported(ctx, modifier);
      return { kind: 'uri', param: ref(def, code), mode: modifier ?? 'exact', value: unescapeSearch(raw) };
    }
    case 'composite': {
      if (modifier !== undefined) throw unsupported(ctx, modifier);
      const parts = splitEscaped(raw, '$');
      if (parts.length !== def.components.length) throw invalid(ctx, `expected ${def.components.length} values joined by $`);
      return {
        kind: 'composite', param: ref(def, code),
        parts: def.components.map((c, i) => valueClause(
          { ...def, code: c.code, type: c.type, components: [], targets: [] }, `${code}.${i}`, undefined, parts[i], ctx,
        )),
      };
    }
    case 'special':
      throw badRequest(`Search parameter '${ctx.name}' is not supported`, [ctx.name], 'not-supported');
  }
}

function unsupported(ctx: ValueContext, modifier: string): FhirError {
  return badRequest(`Modifier ':${modifier}' is not supported on search parameter '${ctx.name}'`, [ctx.name], 'not-supported');
}
