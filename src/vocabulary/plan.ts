/**
 * The backend-neutral search plan (FHIR R4 search.html). The parser (parse.ts) builds it from a query;
 * each store compiles it (SQL for SQLite, a filter for MongoDB); match.ts evaluates it in memory as the
 * test oracle. User values only ever appear as data fields here, never as query text.
 */

/** FHIR R4 SearchParameter.type. */
export type SearchParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

/** Which index rows a clause reads: the param code (see index-values.ts for synthetic codes) and its type. */
export interface ParamRef {
  code: string;
  type: SearchParamType;
}

/** FHIR R4 search prefixes (search.html#prefix). */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/**
 * One condition on a resource. Semantics that every compiler must honour exactly:
 * - `and`/`or` over sub-clauses; `not` is true when the inner clause is false (a resource without any value
 *   of the param matches `not`).
 * - `missing`: `missing=true` ⇔ the resource has no index value for `param`.
 * - `string`: `prefix` ⇔ stored `value` starts with `value`; `contains` ⇔ stored `value` contains `value`
 *   (both already normalized: lower case, accents removed); `exact` ⇔ stored `exact` equals `value`.
 * - `token`: `system` undefined ⇒ any system; `system` null ⇒ stored system is null; `code` undefined ⇒ any code.
 * - `range` (date, number, quantity) with the stored range [lo, hi] and the query range [low, high]:
 *     eq: lo >= low && hi <= high          ne: !(lo >= low && hi <= high)
 *     gt: hi > high                        lt: lo < low
 *     ge: hi > high || (lo >= low && hi <= high)   ... written equivalently as: hi >= low && (hi > high || lo >= low)
 *     le: lo < low  || (lo >= low && hi <= high)   ... written equivalently as: lo <= high && (lo < low || hi <= high)
 *     sa: lo > high                        eb: hi < low
 *     ap: lo <= high && hi >= low   (the parser widens [low, high] by 10% of the distance to now / of the value)
 *   For quantities, `system`/`code` follow token rules and are compared with the stored system/code;
 *   `unit` (from `value||unit`) matches stored code or unit.
 * - `reference`: matches stored rows by (targetType, targetId) and/or url; `targetType` undefined ⇒ any type.
 * - `uri`: `exact` ⇔ equal; `below` ⇔ stored starts with value; `above` ⇔ value starts with stored.
 * - `composite`: some `group` of the resource satisfies every part (parts name params `<code>.<i>`).
 * - `chain`: some reference value of `param` points to a resource of one of `targetTypes` that satisfies `where`.
 * - `has`: some resource of `sourceType` whose reference param `param` points to this resource satisfies `where`.
 * - `ids`: the logical id is one of `ids`.
 */
export type Clause =
  | { kind: 'and' | 'or'; clauses: Clause[] }
  | { kind: 'not'; clause: Clause }
  | { kind: 'missing'; param: ParamRef; missing: boolean }
  | {
      kind: 'string'; param: ParamRef; mode: 'prefix' | 'exact' | 'contains'; value: string;
      /** For `exact`: the value folded as for `prefix` (normalized once, by the parser), so a store can use its folded index first. */
      folded?: string;
    }
  | { kind: 'token'; param: ParamRef; system?: string | null; code?: string }
  | {
      kind: 'range'; param: ParamRef; prefix: Prefix; low: number; high: number;
      system?: string | null; code?: string; unit?: string;
    }
  | { kind: 'reference'; param: ParamRef; targetType?: string; id?: string; url?: string }
  | { kind: 'uri'; param: ParamRef; mode: 'exact' | 'below' | 'above'; value: string }
  | { kind: 'composite'; param: ParamRef; parts: Clause[] }
  | { kind: 'chain'; param: ParamRef; targetTypes: string[]; where: Clause }
  | { kind: 'has'; sourceType: string; param: ParamRef; where: Clause }
  | { kind: 'ids'; ids: string[] };

/** One `_sort` key. `_id` and `_lastUpdated` are valid params too. */
export interface SortKey {
  param: ParamRef;
  descending: boolean;
}

/** `_include` / `_revinclude` (search.html#include). `param` '*' means every reference param. */
export interface IncludeSpec {
  sourceType: string;
  param: string;
  targetType?: string;
  iterate: boolean;
}

/** What a store executes: one page of matches. Built by the search service from a parsed query. */
export interface StoreQuery {
  /** Resource types to search (several for system-level `_type`; empty means every type). */
  types: string[];
  /** Conditions, already ANDed with any access restriction (the patient compartment). */
  where?: Clause;
  /** Sort keys; the store adds its own stable tie-break after them. */
  sort: SortKey[];
  /** Page size; 0 asks only for the total. */
  count: number;
  /** Opaque cursor from a previous page's `next`/`previous`. */
  cursor?: string;
  total: 'none' | 'estimate' | 'accurate';
}

/** The parsed form of a search request, before the store runs it. */
export interface SearchPlan extends StoreQuery {
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  summary?: 'true' | 'text' | 'data' | 'count' | 'false';
  elements?: string[];
  /** The parameters actually applied, in canonical order, for the `self` link. */
  applied: [string, string][];
}

/**
 * The search features a store's compiler can carry. The parser, the search service and the CapabilityStatement
 * consult them up front, so an unsupported feature is refused with a clear OperationOutcome before any store
 * is called (DESIGN principle 3).
 */
export interface SearchCapabilities {
  /** The deepest nesting of chained parameters and `_has` a query may use (each link counts one). */
  maxChainDepth: number;
  /** `_has` (reverse chaining, search.html#has). */
  reverseChains: boolean;
  /** Composite parameters (search.html#composite). */
  composite: boolean;
  /** Parameter types `_sort` can order by (`_id` and `_lastUpdated` always work). */
  sortTypes: readonly SearchParamType[];
  /** `_total=accurate`: exact counts (otherwise totals are left out). */
  accurateTotals: boolean;
}
