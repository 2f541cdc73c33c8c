/**
 * Conversion of one FHIRPath result (a FHIR datatype value) into index rows for one parameter type
 * (FHIR R4 search.html, table "Search parameter types and datatypes"). Rows follow vocabulary/index-values.ts.
 */
import type { IndexValue } from '../vocabulary/index-values.js';
import type { SearchParamType } from '../vocabulary/plan.js';
import type { TypedValue } from './fhirpath-eval.js';
import { dateRange, jsonNumberRange, normalizeReference, normalizeString, periodRange, type Range } from './normalize.js';
import { OPEN_END } from '../vocabulary/index-values.js';

/** Where converted rows go (synthetic `:text`/`:of-type`/`:identifier` rows are never emitted inside a composite group): `emit` adds a row under the given param code (deduplicated by the caller). */
export interface RowSink {
  emit(row: IndexValue): void;
  readonly baseUrl: string;
  /** The code system implied by the binding of a `code` element at `path`, if any (see code-bindings.ts). */
  impliedSystem?(path: string): string | undefined;
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/**
 * `row` with its composite group when it has one. Rows are object literals of one shape per kind, the group added
 * after: a spread of a conditional object copied properties one by one, on every row of every write.
 */
function grouped<T extends IndexValue>(row: T, group: number | undefined): T {
  if (group !== undefined) row.group = group;
  return row;
}

/**
 * Synthetic parameter names (`code:text`), one string per name, so that every row of a name shares it; looked up
 * by the parameter's code, per suffix, so that asking builds no string.
 */
type SyntheticSuffix = ':text' | ':of-type' | ':identifier';
const syntheticNames: Record<SyntheticSuffix, Map<string, string>> = { ':text': new Map(), ':of-type': new Map(), ':identifier': new Map() };
function synthetic(code: string, suffix: SyntheticSuffix): string {
  const names = syntheticNames[suffix];
  let name = names.get(code);
  if (name === undefined) names.set(code, (name = code + suffix));
  return name;
}

const STRING_TYPES = new Set(['string', 'markdown', 'code', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid', 'xhtml']);
const DATE_TYPES = new Set(['date', 'dateTime', 'instant']);
const NUMBER_TYPES = new Set(['decimal', 'integer', 'positiveInt', 'unsignedInt']);
const QUANTITY_TYPES = new Set(['Quantity', 'Age', 'Duration', 'Count', 'Distance', 'SimpleQuantity', 'MoneyQuantity']);

function stringRow(sink: RowSink, param: string, group: number | undefined, s: unknown): void {
  const v = str(s);
  if (v === undefined) return;
  sink.emit(grouped({ kind: 'string', param, value: normalizeString(v), exact: v }, group));
}

function tokenRow(sink: RowSink, param: string, group: number | undefined, system: unknown, code: unknown): void {
  const c = str(code) ?? null;
  const s = str(system) ?? null;
  if (c === null && s === null) return;
  sink.emit(grouped({ kind: 'token', param, system: s, code: c }, group));
}

/** Rows of a `string` param: primitives as-is, HumanName and Address by every part plus text. */
function stringRows(sink: RowSink, code: string, group: number | undefined, v: TypedValue): void {
  const o = obj(v.value);
  if (v.type === 'HumanName' && o) {
    for (const part of ['family', 'text']) stringRow(sink, code, group, o[part]);
    for (const part of ['given', 'prefix', 'suffix']) for (const p of arr(o[part])) stringRow(sink, code, group, p);
  } else if (v.type === 'Address' && o) {
    for (const l of arr(o.line)) stringRow(sink, code, group, l);
    for (const part of ['city', 'district', 'state', 'postalCode', 'country', 'text']) stringRow(sink, code, group, o[part]);
  } else if (STRING_TYPES.has(v.type) || typeof v.value === 'string') {
    stringRow(sink, code, group, v.value);
  }
}

/** Rows of a `token` param plus its synthetic `:text` and `:of-type` rows. */
function tokenRows(sink: RowSink, code: string, group: number | undefined, v: TypedValue): void {
  const o = obj(v.value);
  const text = synthetic(code, ':text');
  switch (v.type) {
    case 'Coding':
      if (o) {
        tokenRow(sink, code, group, o.system, o.code);
        if (group === undefined) stringRow(sink, text, group, o.display);
      }
      return;
    case 'CodeableConcept':
      if (o) {
        for (const c of arr(o.coding)) {
          const co = obj(c);
          if (!co) continue;
          tokenRow(sink, code, group, co.system, co.code);
          if (group === undefined) stringRow(sink, text, group, co.display);
        }
        if (group === undefined) stringRow(sink, text, group, o.text);
      }
      return;
    case 'Identifier':
      if (o) {
        tokenRow(sink, code, group, o.system, o.value);
        const type = obj(o.type);
        const value = str(o.value);
        if (type && value !== undefined && group === undefined) {
          for (const c of arr(type.coding)) {
            const co = obj(c);
            const tc = str(co?.code);
            if (co && tc !== undefined) tokenRow(sink, synthetic(code, ':of-type'), group, co.system, `${tc}|${value}`);
          }
        }
        if (type && group === undefined) stringRow(sink, text, group, type.text);
      }
      return;
    case 'ContactPoint':
      if (o) tokenRow(sink, code, group, null, o.value);
      return;
    case 'boolean':
      if (typeof v.value === 'boolean') tokenRow(sink, code, group, null, String(v.value));
      return;
    case 'Reference':
      // Only `_id`-like params reach here with a Reference; its identifier is the token.
      if (o) {
        const id = obj(o.identifier);
        if (id) tokenRow(sink, code, group, id.system, id.value);
      }
      return;
    case 'code':
      if (typeof v.value === 'string') tokenRow(sink, code, group, sink.impliedSystem?.(v.path) ?? null, v.value);
      return;
    default:
      if (typeof v.value === 'string') tokenRow(sink, code, group, null, v.value);
      else if (typeof v.value === 'boolean' || typeof v.value === 'number') tokenRow(sink, code, group, null, String(v.value));
  }
}

function emitDate(sink: RowSink, code: string, group: number | undefined, r: Range | undefined): void {
  if (r) sink.emit(grouped({ kind: 'date', param: code, low: r.low, high: r.high }, group));
}

/** Rows of a `date` param: date/dateTime/instant, Period (open ends), Timing (events and bounds). */
function dateRows(sink: RowSink, code: string, group: number | undefined, v: TypedValue): void {
  const o = obj(v.value);
  if (DATE_TYPES.has(v.type) || (typeof v.value === 'string' && v.type !== 'string')) {
    if (typeof v.value === 'string') emitDate(sink, code, group, dateRange(v.value));
  } else if (v.type === 'Period' && o) {
    emitDate(sink, code, group, periodRange(str(o.start), str(o.end)));
  } else if (v.type === 'Timing' && o) {
    for (const e of arr(o.event)) if (typeof e === 'string') emitDate(sink, code, group, dateRange(e));
    const bounds = obj(obj(o.repeat)?.boundsPeriod);
    if (bounds) emitDate(sink, code, group, periodRange(str(bounds.start), str(bounds.end)));
  }
}

/** Rows of a `number` param: decimals with their precision range; a Range as [low, high]. */
function numberRows(sink: RowSink, code: string, group: number | undefined, v: TypedValue): void {
  if (typeof v.value === 'number' && (NUMBER_TYPES.has(v.type) || v.type.startsWith('System'))) {
    const r = jsonNumberRange(v.value);
    sink.emit(grouped({ kind: 'number', param: code, low: r.low, high: r.high, value: r.value }, group));
    return;
  }
  const o = obj(v.value);
  if (v.type === 'Range' && o) {
    const lo = obj(o.low)?.value;
    const hi = obj(o.high)?.value;
    if (typeof lo !== 'number' && typeof hi !== 'number') return;
    const low = typeof lo === 'number' ? jsonNumberRange(lo).low : -OPEN_END;
    const high = typeof hi === 'number' ? jsonNumberRange(hi).high : OPEN_END;
    sink.emit(grouped({ kind: 'number', param: code, low, high, value: typeof lo === 'number' ? lo : (hi as number) }, group));
  } else if (QUANTITY_TYPES.has(v.type) && o && typeof o.value === 'number') {
    const r = jsonNumberRange(o.value);
    sink.emit(grouped({ kind: 'number', param: code, low: r.low, high: r.high, value: r.value }, group));
  }
}

function quantityRow(sink: RowSink, code: string, group: number | undefined, q: Json, money: boolean): void {
  if (typeof q.value !== 'number') return;
  const r = jsonNumberRange(q.value);
  sink.emit(grouped({
    kind: 'quantity', param: code,
    system: money ? 'urn:iso:std:iso:4217' : (str(q.system) ?? null),
    code: money ? (str(q.currency) ?? null) : (str(q.code) ?? null),
    unit: money ? (str(q.currency) ?? null) : (str(q.unit) ?? null),
    low: r.low, high: r.high, value: r.value,
  }, group));
}

/** Rows of a `quantity` param: every Quantity flavour, Money (currency as code), Range (low..high). */
function quantityRows(sink: RowSink, code: string, group: number | undefined, v: TypedValue): void {
  const o = obj(v.value);
  if (!o) return;
  if (QUANTITY_TYPES.has(v.type)) quantityRow(sink, code, group, o, false);
  else if (v.type === 'Money') quantityRow(sink, code, group, o, true);
  else if (v.type === 'Range') {
    const lo = obj(o.low);
    const hi = obj(o.high);
    const unitSrc = lo ?? hi;
    if (!unitSrc || (typeof lo?.value !== 'number' && typeof hi?.value !== 'number')) return;
    const low = typeof lo?.value === 'number' ? jsonNumberRange(lo.value).low : -OPEN_END;
    const high = typeof hi?.value === 'number' ? jsonNumberRange(hi.value).high : OPEN_END;
    sink.emit(grouped({
      kind: 'quantity', param: code,
      system: str(unitSrc.system) ?? null, code: str(unitSrc.code) ?? null, unit: str(unitSrc.unit) ?? null,
      low, high, value: typeof lo?.value === 'number' ? lo.value : (hi?.value as number),
    }, group));
  }
}

/** Rows of a `reference` param plus the synthetic `:identifier` token rows. */
function referenceRows(sink: RowSink, code: string, group: number | undefined, v: TypedValue): void {
  if (typeof v.value === 'string') {
    const n = normalizeReference(v.value, sink.baseUrl);
    if (n) sink.emit(grouped({ kind: 'reference', param: code, targetType: n.targetType, targetId: n.targetId, url: n.url }, group));
    return;
  }
  const o = obj(v.value);
  if (!o) return;
  const ref = str(o.reference);
  if (ref !== undefined) {
    const n = normalizeReference(ref, sink.baseUrl);
    if (n) sink.emit(grouped({ kind: 'reference', param: code, targetType: n.targetType, targetId: n.targetId, url: n.url }, group));
  }
  const id = obj(o.identifier);
  if (id && group === undefined) tokenRow(sink, synthetic(code, ':identifier'), group, id.system, id.value);
}

/** Rows of a `uri` param (kept verbatim: uri comparison is case-sensitive). */
function uriRows(sink: RowSink, code: string, group: number | undefined, v: TypedValue): void {
  const s = str(v.value);
  if (s !== undefined) sink.emit(grouped({ kind: 'uri', param: code, value: s }, group));
}

/** Emits the rows of one value for a parameter of type `type` under param code `code`. */
export function emitRows(sink: RowSink, type: SearchParamType, code: string, group: number | undefined, v: TypedValue): void {
  switch (type) {
    case 'string': return stringRows(sink, code, group, v);
    case 'token': return tokenRows(sink, code, group, v);
    case 'date': return dateRows(sink, code, group, v);
    case 'number': return numberRows(sink, code, group, v);
    case 'quantity': return quantityRows(sink, code, group, v);
    case 'reference': return referenceRows(sink, code, group, v);
    case 'uri': return uriRows(sink, code, group, v);
    case 'composite': case 'special': return;
  }
}
