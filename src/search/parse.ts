/**
 * Query → SearchPlan (FHIR R4 search.html): parameters with modifiers and prefixes, chains, `_has`,
 * composites, and the result parameters (`_sort`, `_count`, `_include`...). Comma is OR, repetition is AND.
 * User values only ever land in data fields of clauses.
 */
import { badRequest } from '../fhir/outcome.js';
import type { Clause, IncludeSpec, SearchCapabilities, SearchPlan, SortKey } from '../vocabulary/plan.js';
import type { SearchParamDef, SearchRegistry } from './parameters.js';
import { splitEscaped } from './normalize.js';
import { valueClause, type ValueContext } from './parse-value.js';

/** Options of `parseSearch`. */
export interface ParseOptions {
  baseUrl: string;
  /** Unknown or unsupported parameters: true → 400, false → ignored (and left out of `applied`). */
  strict: boolean;
  defaultCount: number;
  maxCount: number;
  /** Most values (leaf conditions) one search may hold; more is 400 too-costly. Unlimited when absent. */
  maxValues?: number;
  /** Clock for `ap` on dates (epoch ms); defaults to Date.now(). */
  now?: number;
  /** What the store's compiler can carry; features beyond it are refused before the store is called. */
  capabilities: SearchCapabilities;
}

/** Owned by the HTTP layer: never part of the plan nor of `applied`. */
const HTTP_PARAMS = new Set(['_cursor', '_format', '_pretty']);
/** Known R4 parameters Vesta does not implement. */
const UNSUPPORTED = new Set(['_text', '_content', '_query', '_filter', '_list', '_contained', '_containedType', '_graph']);
const SORTABLE = new Set(['string', 'token', 'date', 'number', 'quantity', 'uri', 'reference']);
const SUMMARY = ['true', 'text', 'data', 'count', 'false'] as const;
const TOTAL = ['none', 'estimate', 'accurate'] as const;
const NAME = /^[A-Za-z_][A-Za-z0-9_.:\-]*$/;

interface Ctx {
  registry: SearchRegistry;
  opts: ParseOptions;
  now: number;
}

function fail(name: string, why: string) {
  return badRequest(`Invalid search parameter '${name}': ${why}`, [name]);
}

function notSupported(name: string, why: string) {
  return badRequest(`Search parameter '${name}' cannot be used here: ${why}`, [name], 'not-supported');
}

/** Chains and `_has` nest one more link; beyond the store's depth the query is refused up front. */
function deeper(ctx: Ctx, depth: number, fullName: string): number {
  const max = ctx.opts.capabilities.maxChainDepth;
  if (depth + 1 > max) throw notSupported(fullName, `this server follows at most ${max} chained or _has links (VESTA_MAX_CHAIN_DEPTH)`);
  return depth + 1;
}

/** The def of `code` shared by every type in `types` (common params only when `types` is empty). */
function resolveParam(registry: SearchRegistry, types: readonly string[], code: string): SearchParamDef | undefined {
  if (types.length === 0) {
    const def = registry.get('Patient', code);
    return def && (def.base.includes('Resource') || def.base.includes('DomainResource')) ? def : undefined;
  }
  let found: SearchParamDef | undefined;
  for (const t of types) {
    const def = registry.get(t, code);
    if (!def || (found && found.type !== def.type)) return undefined;
    found ??= def;
  }
  return found;
}

/**
 * The clause for `name=value` on `types`, following chains (`a.b.c`) and `_has`; undefined when the
 * parameter is unknown (the caller decides between 400 and ignoring).
 */
function paramClause(ctx: Ctx, types: readonly string[], name: string, fullName: string, value: string, depth = 0): Clause | undefined {
  if (name.startsWith('_has:')) {
    if (!ctx.opts.capabilities.reverseChains) throw notSupported(fullName, "_has is not supported by this server's store");
    const next = deeper(ctx, depth, fullName);
    const [, sourceType, refCode, ...rest] = name.split(':');
    const inner = rest.join(':');
    if (!sourceType || !refCode || !inner) throw fail(fullName, 'expected _has:Type:param:expression');
    if (!ctx.registry.isResourceType(sourceType)) throw fail(fullName, 'unknown resource type');
    const refDef = ctx.registry.get(sourceType, refCode);
    if (!refDef || refDef.type !== 'reference') throw fail(fullName, 'not a reference parameter');
    if (types.length > 0 && refDef.targets.length > 0 && !types.some((t) => refDef.targets.includes(t))) {
      throw fail(fullName, 'the reference parameter cannot point to the searched type');
    }
    const where = paramClause(ctx, [sourceType], inner, fullName, value, next);
    if (!where) return undefined;
    return { kind: 'has', sourceType, param: { code: refCode, type: 'reference' }, where };
  }
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  const colon = head.indexOf(':');
  const code = colon < 0 ? head : head.slice(0, colon);
  const modifier = colon < 0 ? undefined : head.slice(colon + 1);
  if (UNSUPPORTED.has(code)) return undefined;
  const def = resolveParam(ctx.registry, types, code);
  if (!def) return undefined;
  if (dot >= 0) {
    if (def.type !== 'reference') throw fail(fullName, 'only reference parameters can be chained');
    const next = deeper(ctx, depth, fullName);
    const rest = name.slice(dot + 1);
    const nextCode = rest.split(/[.:]/)[0];
    let targets: string[];
    if (modifier !== undefined) {
      if (!ctx.registry.isResourceType(modifier) || (def.targets.length > 0 && !def.targets.includes(modifier))) {
        throw fail(fullName, 'invalid chain target type');
      }
      targets = [modifier];
    } else {
      targets = (def.targets.length > 0 ? [...def.targets] : [...ctx.registry.resourceTypes]).filter((t) => ctx.registry.get(t, nextCode));
    }
    const perTarget = targets.filter((t) => resolveParam(ctx.registry, [t], nextCode));
    if (perTarget.length === 0) throw fail(fullName, 'no target type has the chained parameter');
    const where = paramClause(ctx, perTarget, rest, fullName, value, next);
    if (!where) throw fail(fullName, 'the chained parameter is ambiguous across target types; add :Type');
    return { kind: 'chain', param: { code, type: 'reference' }, targetTypes: perTarget, where };
  }
  if (modifier !== undefined && !def.modifiers.includes(modifier) && !(def.type === 'reference' && ctx.registry.isResourceType(modifier))) {
    throw badRequest(`Modifier ':${modifier}' is not supported on search parameter '${fullName}'`, [fullName], 'not-supported');
  }
  if (def.type === 'composite' && !ctx.opts.capabilities.composite) throw notSupported(fullName, 'composite parameters are not supported by this server\'s store');
  const vctx: ValueContext = { registry: ctx.registry, baseUrl: ctx.opts.baseUrl, now: ctx.now, name: fullName };
  const values = modifier === 'missing' ? [value] : splitEscaped(value, ',');
  if (values.some((v) => v === '')) throw fail(fullName, 'empty value');
  if (code === '_id' && (modifier === undefined || modifier === 'not')) {
    const ids: Clause = { kind: 'ids', ids: values };
    return modifier === 'not' ? { kind: 'not', clause: ids } : ids;
  }
  const clauses = values.map((v) => valueClause(def, def.code, modifier, v, vctx));
  if (clauses.length === 1) return clauses[0];
  // `:not` over a list means none of them (search.html#modifiers): not any of them, so a store tests one OR
  // per candidate instead of one probe per value (hundreds of `:not` values took seconds as an AND of negations).
  if (clauses.every((c) => c.kind === 'not')) return { kind: 'not', clause: { kind: 'or', clauses: clauses.map((c) => (c as { clause: Clause }).clause) } };
  return modifier === 'not' ? { kind: 'and', clauses } : { kind: 'or', clauses };
}

function parseInclude(ctx: Ctx, name: string, value: string, rev: boolean): IncludeSpec {
  const iterate = name.endsWith(':iterate') || name.endsWith(':recurse');
  if (value === '*') return { sourceType: '*', param: '*', iterate };
  const [sourceType, param, targetType, extra] = value.split(':');
  if (extra !== undefined || !sourceType || !param) throw fail(name, 'expected Type:param[:TargetType]');
  if (!ctx.registry.isResourceType(sourceType)) throw fail(name, 'unknown resource type');
  if (param !== '*') {
    const def = ctx.registry.get(sourceType, param);
    if (!def || def.type !== 'reference') throw fail(name, 'not a reference parameter');
    if (targetType !== undefined && def.targets.length > 0 && !def.targets.includes(targetType)) throw fail(name, 'invalid target type');
  }
  if (targetType !== undefined && !ctx.registry.isResourceType(targetType)) throw fail(name, 'unknown target type');
  void rev;
  return { sourceType, param, ...(targetType ? { targetType } : {}), iterate };
}

function parseCount(name: string, value: string, opts: ParseOptions): number {
  if (!/^\d{1,9}$/.test(value)) throw fail(name, 'expected a non-negative integer');
  return Math.min(Number(value), opts.maxCount);
}

/** How many values a clause holds: each leaf condition counts one, and so does an `_id` list (one lookup). */
export function valueCount(c: Clause): number {
  switch (c.kind) {
    case 'and': case 'or': return c.clauses.reduce((sum, x) => sum + valueCount(x), 0);
    case 'not': return valueCount(c.clause);
    case 'chain': case 'has': return valueCount(c.where);
    case 'composite': return c.parts.reduce((sum, x) => sum + valueCount(x), 0);
    default: return 1;
  }
}

/** Parses a search request on `types` (one type, several via `_type`, or none = every type) into a plan. */
export function parseSearch(registry: SearchRegistry, types: string[], query: [string, string][], opts: ParseOptions): SearchPlan {
  const ctx: Ctx = { registry, opts, now: opts.now ?? Date.now() };
  let searchTypes = [...types];
  const typeParam = query.filter(([n]) => n === '_type');
  const applied: [string, string][] = [];
  if (typeParam.length > 0) {
    const listed = typeParam.flatMap(([, v]) => v.split(','));
    for (const t of listed) if (!registry.isResourceType(t)) throw fail('_type', 'unknown resource type');
    const set = [...new Set(listed)].sort();
    searchTypes = types.length === 0 ? set : types.filter((t) => set.includes(t));
    applied.push(['_type', set.join(',')]);
  }
  const where: Clause[] = [];
  const sort: SortKey[] = [];
  const include: IncludeSpec[] = [];
  const revinclude: IncludeSpec[] = [];
  let count = opts.defaultCount;
  let total: SearchPlan['total'] = 'none';
  let summary: SearchPlan['summary'];
  let elements: string[] | undefined;

  for (const [name, value] of query) {
    if (HTTP_PARAMS.has(name) || name === '_type') continue;
    if (!NAME.test(name)) {
      if (opts.strict) throw badRequest('Unknown search parameter', [], 'not-supported');
      continue;
    }
    if (name === '_count') {
      count = parseCount(name, value, opts);
      applied.push([name, String(count)]);
    } else if (name === '_sort') {
      for (const key of value.split(',')) {
        const descending = key.startsWith('-');
        const code = descending ? key.slice(1) : key;
        const def = resolveParam(registry, searchTypes, code);
        if (!def || !SORTABLE.has(def.type)) throw fail(name, `cannot sort by '${code}'`);
        const always = code === '_id' || code === '_lastUpdated';
        if (!always && !opts.capabilities.sortTypes.includes(def.type)) throw notSupported(name, `this server's store cannot sort by ${def.type} parameters`);
        sort.push({ param: { code, type: def.type }, descending });
      }
      applied.push([name, value]);
    } else if (name === '_total') {
      const t = TOTAL.find((x) => x === value);
      if (!t) throw fail(name, 'expected none, estimate or accurate');
      if (t === 'accurate' && !opts.capabilities.accurateTotals) throw notSupported(name, 'this server\'s store cannot count accurately');
      total = t;
      applied.push([name, value]);
    } else if (name === '_summary') {
      const s = SUMMARY.find((x) => x === value);
      if (!s) throw fail(name, 'expected true, text, data, count or false');
      summary = s;
      applied.push([name, value]);
    } else if (name === '_elements') {
      elements = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
      if (elements.some((e) => !/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(e))) throw fail(name, 'expected element names');
      applied.push([name, elements.join(',')]);
    } else if (name === '_include' || name.startsWith('_include:') || name === '_revinclude' || name.startsWith('_revinclude:')) {
      const rev = name.startsWith('_revinclude');
      (rev ? revinclude : include).push(parseInclude(ctx, name, value, rev));
      applied.push([name, value]);
    } else {
      const clause = paramClause(ctx, searchTypes, name, name, value);
      if (!clause) {
        if (opts.strict) throw badRequest(`Unknown or unsupported search parameter '${name}'`, [name], 'not-supported');
        continue;
      }
      where.push(clause);
      applied.push([name, value]);
    }
  }
  if (opts.maxValues !== undefined) {
    const n = where.reduce((sum, c) => sum + valueCount(c), 0);
    if (n > opts.maxValues) {
      throw badRequest(
        `The search holds ${n} values (OR values and repeated parameters); this server accepts at most ${opts.maxValues} (VESTA_SEARCH_MAX_VALUES)`,
        undefined, 'too-costly',
      );
    }
  }
  const order = (n: string) => (n.startsWith('_') ? 1 : 0);
  applied.sort((a, b) => order(a[0]) - order(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const plan: SearchPlan = { types: searchTypes, sort, count, total, include, revinclude, applied };
  if (where.length === 1) plan.where = where[0];
  else if (where.length > 1) plan.where = { kind: 'and', clauses: where };
  if (summary) plan.summary = summary;
  if (elements) plan.elements = elements;
  return plan;
}
