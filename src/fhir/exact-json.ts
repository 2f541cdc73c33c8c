import { randomBytes } from 'node:crypto';
import { isNumberChar, stringEnd, writtenBackSame } from './json-tokens.js';

/**
 * Decimals as sent (FHIR R4 datatypes.html#decimal: `6.0` has one significant decimal and must stay `6.0`).
 * JSON.parse turns every number into a double, which forgets how it was written. When a body has numbers that
 * JavaScript would write otherwise (json-text.ts notices them while scanning), it is parsed here instead: the
 * values stay plain numbers for validation, indexing and FHIRPath, and the text each was sent with is kept on
 * the side, by object identity, so that `stringifyExact` writes it back. Bodies without such numbers, nearly all,
 * never come here and cost nothing more.
 */

/** holder object → property name → the number's text as sent. */
const exactText = new WeakMap<object, Map<string, string>>();
/** Objects with a kept number at or below them. */
const carriers = new WeakSet<object>();
/** Marks kept numbers in the stringified text; random per process so no client string can forge one. */
const MARK = `\u0000${randomBytes(8).toString('hex')}:`;
const MARKED = new RegExp(`"\\\\u0000${MARK.slice(1)}(-?[0-9][0-9.eE+-]*)"`, 'g');

/**
 * Calls `visit` with the bounds of every number token in `text` (valid JSON), in document order, until it returns
 * true; true when it did.
 */
function someNumber(text: string, visit: (start: number, end: number) => boolean): boolean {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i) + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      if (visit(i, j)) return true;
      i = j;
    } else {
      i++;
    }
  }
  return false;
}

/** Every number's text in `text` (valid JSON), in document order. */
export function numberTexts(text: string): string[] {
  const out: string[] = [];
  someNumber(text, (start, end) => {
    out.push(text.slice(start, end));
    return false;
  });
  return out;
}

/** True when `text` (valid JSON) has a number JavaScript would write otherwise; every stored read that parses asks. */
export function hasExactNumbers(text: string): boolean {
  return someNumber(text, (start, end) => !writtenBackSame(text, start, end));
}

/**
 * Parses JSON text (already known to be valid) keeping the text of every number JavaScript would write
 * otherwise. Numbers are matched to their text in document order; if the order cannot be trusted (an object
 * with integer-like keys is visited in another order) nothing is kept rather than something wrong.
 */
export function parseExact(text: string): unknown {
  const raws = numberTexts(text);
  const kept: [object, string, string][] = [];
  const marked = new Set<object>();
  let next = 0;
  let trusted = true;
  const value = JSON.parse(text, function (this: object, key: string, v: unknown) {
    if (typeof v === 'number') {
      const raw = raws[next++];
      if (raw === undefined || Number(raw) !== v) trusted = false;
      else if (String(v) !== raw) {
        kept.push([this, key, raw]);
        marked.add(this);
      }
    } else if (typeof v === 'object' && v !== null && marked.has(v)) {
      marked.add(this);
    }
    return v;
  }) as unknown;
  if (!trusted || next !== raws.length) return value;
  for (const [holder, key, raw] of kept) {
    let m = exactText.get(holder);
    if (m === undefined) exactText.set(holder, (m = new Map()));
    m.set(key, raw);
    carriers.add(holder);
  }
  for (const o of marked) carriers.add(o);
  return value;
}

/** Parses stored JSON text, keeping exact numbers when it has any (see `parseExact`). */
export function parseStored(text: string): unknown {
  return hasExactNumbers(text) ? parseExact(text) : JSON.parse(text);
}

/** Lets `to` (a copy of `from` made by spreading, such as a resource with new meta) write `from`'s numbers as sent. */
export function carryExact(from: object, to: object): void {
  const m = exactText.get(from);
  if (m !== undefined) exactText.set(to, m);
  if (carriers.has(from)) carriers.add(to);
}

/** True when `value` or something up to `depth` levels below it carries a kept number. */
function carries(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (carriers.has(value)) return true;
  return depth > 0 && carriesBelow(value, depth - 1);
}

/** Whether a member of `value` carries, looking `depth` levels below it; members that are not objects are skipped unasked. */
function carriesBelow(value: object, depth: number): boolean {
  // Every stored resource passes here: loops without the arrays Object.values would allocate (half the time).
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null && (carriers.has(v) || (depth > 0 && carriesBelow(v, depth - 1)))) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const v = record[key];
    if (typeof v === 'object' && v !== null && (carriers.has(v) || (depth > 0 && carriesBelow(v, depth - 1)))) return true;
  }
  return false;
}

/**
 * JSON.stringify that writes kept numbers as they were sent (when their value has not changed since).
 * Plain JSON.stringify when nothing below `value` (looking 4 levels down: Bundle, entries, entry, resource) carries one.
 */
export function stringifyExact(value: unknown, indent?: number): string {
  if (!carries(value, 4)) return JSON.stringify(value, null, indent);
  const text = JSON.stringify(value, function (this: object, key: string, v: unknown) {
    if (typeof v !== 'number') return v;
    const raw = exactText.get(this)?.get(key);
    return raw !== undefined && Number(raw) === v ? MARK + raw : v;
  }, indent);
  return text.replace(MARKED, '$1');
}

/**
 * For JSON parsed in pieces (json-slices.ts): moves the number texts kept for `from`'s own members to `to`, where
 * those members now live (array elements shifted by `offset`), and makes `to` a carrier when `from` was one.
 */
export function adoptExact(from: object, to: object, offset = 0): void {
  const m = exactText.get(from);
  if (m !== undefined) {
    let target = exactText.get(to);
    if (target === undefined) exactText.set(to, (target = new Map()));
    for (const [key, raw] of m) target.set(offset === 0 ? key : String(Number(key) + offset), raw);
  }
  if (carriers.has(from)) carriers.add(to);
}

/** For JSON parsed in pieces: makes `parent` a carrier when `child`, now one of its members, is one. */
export function adoptCarrier(child: unknown, parent: object): void {
  if (typeof child === 'object' && child !== null && carriers.has(child)) carriers.add(parent);
}

/** The text `stringifyExact` writes for `holder[key]` (a defined, non-function member) inside `holder`. */
export function stringifyExactMember(holder: object, key: string): string {
  const v = (holder as Record<string, unknown>)[key];
  if (typeof v === 'number') {
    const raw = exactText.get(holder)?.get(key);
    if (raw !== undefined && Number(raw) === v) return raw;
  }
  return stringifyExact(v);
}

/**
 * The text `stringifyExact` writes for the elements `from` to `to` (exclusive) of `arr`, comma-separated and
 * without brackets (empty when there are none).
 */
export function stringifyExactElements(arr: readonly unknown[], from: number, to: number): string {
  const part = arr.slice(from, to);
  const direct = exactText.get(arr);
  if (direct === undefined) return stringifyExact(part).slice(1, -1);
  const text = JSON.stringify(part, function (this: object, key: string, v: unknown) {
    if (typeof v !== 'number') return v;
    const raw = this === part ? direct.get(String(Number(key) + from)) : exactText.get(this)?.get(key);
    return raw !== undefined && Number(raw) === v ? MARK + raw : v;
  });
  return text.replace(MARKED, '$1').slice(1, -1);
}
