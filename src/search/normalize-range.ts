/**
 * Ranges for ordered search types (FHIR R4 search.html#date, #number, #quantity): every date, period and
 * number becomes an inclusive [low, high] set by its precision. Used at index time and at query time.
 */
import { OPEN_END } from '../vocabulary/index-values.js';

/** An inclusive range of epoch milliseconds or of numbers. */
export interface Range {
  low: number;
  high: number;
}

// year, month, day, then an optional time of minute/second/fraction precision, then an optional zone.
const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The [low, high] epoch-ms range of a FHIR date, dateTime or instant at its precision (year, month, day,
 * minute, second, fraction); an offset is honoured, no zone means UTC. Undefined when malformed.
 */
export function dateRange(text: string): Range | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const y = Number(ys);
  const mo = mos === undefined ? undefined : Number(mos);
  const d = ds === undefined ? undefined : Number(ds);
  if (mo !== undefined && (mo < 1 || mo > 12)) return undefined;
  if (mo !== undefined && d !== undefined && (d < 1 || d > daysInMonth(y, mo))) return undefined;
  if (hs !== undefined) {
    const h = Number(hs);
    const mi = Number(mis);
    const s = ss === undefined ? 0 : Number(ss);
    if (h > 24 || mi > 59 || s > 60 || (h === 24 && (mi > 0 || s > 0))) return undefined;
    let ms = 0;
    let span: number;
    if (frac !== undefined) {
      const digits = Math.min(frac.length, 3);
      ms = Number(frac.slice(0, 3).padEnd(3, '0'));
      span = 10 ** (3 - digits);
    } else span = ss === undefined ? 60_000 : 1000;
    const offset = zone === undefined || zone === 'Z' ? 0 : zoneOffsetMs(zone);
    const low = Date.UTC(y, (mo ?? 1) - 1, d ?? 1, h, mi, Math.min(s, 59), ms) - offset;
    return { low, high: low + span - 1 };
  }
  if (mo === undefined) return { low: Date.UTC(y, 0, 1), high: Date.UTC(y + 1, 0, 1) - 1 };
  if (d === undefined) return { low: Date.UTC(y, mo - 1, 1), high: Date.UTC(y, mo, 1) - 1 };
  const low = Date.UTC(y, mo - 1, d);
  return { low, high: low + 86_400_000 - 1 };
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

function zoneOffsetMs(zone: string): number {
  const sign = zone[0] === '-' ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

/** A Period's range (FHIR R4 datatypes.html#Period): a missing start or end is open (±OPEN_END). */
export function periodRange(start: string | undefined, end: string | undefined): Range | undefined {
  const s = start === undefined ? undefined : dateRange(start);
  const e = end === undefined ? undefined : dateRange(end);
  if ((start !== undefined && !s) || (end !== undefined && !e) || (!s && !e)) return undefined;
  return { low: s ? s.low : -OPEN_END, high: e ? e.high : OPEN_END };
}

const NUMBER_RE = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The implicit precision range of a decimal written as `text` (search.html#number): `100` → [99.5, 100.5],
 * `100.0` → [99.95, 100.05], `1e2` → [50, 150]. Undefined when `text` is not a decimal.
 */
export function numberRange(text: string): (Range & { value: number }) | undefined {
  const m = NUMBER_RE.exec(text.trim());
  if (!m) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const decimals = m[2]?.length ?? 0;
  const exponent = m[3] === undefined ? 0 : Number(m[3]);
  // The last written digit sets the precision: `1e2` is known to the hundreds, `1.5e2` to the tens.
  const half = 0.5 * 10 ** (exponent - decimals);
  const digits = Math.min(17, m[1].replace(/^0+/, '').length + decimals + 2);
  return { value, low: roundTo(value - half, digits), high: roundTo(value + half, digits) };
}

/** The precision range of a number stored in JSON (its shortest decimal text decides the precision). */
export function jsonNumberRange(value: number): Range & { value: number } {
  const r = numberRange(String(value));
  return r ?? { value, low: value, high: value };
}

/** Removes binary noise such as 99.95000000000002 (one digit beyond the bound's own precision is kept). */
function roundTo(n: number, digits: number): number {
  return n === 0 ? 0 : Number(n.toPrecision(Math.max(1, digits)));
}
