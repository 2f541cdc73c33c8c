/**
 * A deliberately simple, independent evaluation of the few US Core search parameters the e2e tests use
 * (FHIR R4 search.html), written straight from the spec text over plain JSON: it shares no code with
 * src/search, so a bug there cannot hide itself by being copied into the expected answer.
 */
import type { Json } from './synthea.js';

/** Case- and accent-insensitive form of a string (search.html#string: "ignore case and accents"). */
export const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** `string` search without modifier: some part starts with the value, case and accents ignored. */
export const startsWith = (parts: readonly (string | undefined)[], value: string): boolean =>
  parts.some((p) => p !== undefined && fold(p).startsWith(fold(value)));

/** Every searchable part of a Patient's HumanNames: family, given, prefix, suffix and text (search.html#string). */
export const nameParts = (p: Json): string[] =>
  ((p.name ?? []) as Json[]).flatMap((n) => [n.family, n.text, ...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? [])]);

/** `token` on Coding/CodeableConcept/Identifier values (search.html#token): `code`, `system|code` or `|code`. */
export function tokenMatches(pairs: readonly { system?: string; code?: string }[], query: string): boolean {
  const bar = query.indexOf('|');
  if (bar < 0) return pairs.some((p) => p.code === query);
  const system = query.slice(0, bar);
  const code = query.slice(bar + 1);
  return pairs.some((p) => (system === '' ? p.system === undefined : p.system === system) && (code === '' || p.code === code));
}

/** The codings of a CodeableConcept as system/code pairs. */
export const codings = (cc: Json | undefined): { system?: string; code?: string }[] =>
  ((cc?.coding ?? []) as Json[]).map((c) => ({ system: c.system as string | undefined, code: c.code as string | undefined }));

/** An Identifier list as system/code pairs (token on Identifier compares `value` as the code). */
export const identifierPairs = (ids: Json[] | undefined): { system?: string; code?: string }[] =>
  (ids ?? []).map((i) => ({ system: i.system as string | undefined, code: i.value as string | undefined }));

/** True when `ref` (a Reference) points at `Type/id`. */
export const refersTo = (ref: Json | undefined, type: string, id: string): boolean => ref?.reference === `${type}/${id}`;

/** An inclusive [low, high] epoch-ms interval. */
export type Interval = [number, number];

/**
 * The interval a FHIR date/dateTime/instant stands for, by its precision (search.html#date): a year, month or
 * day spans the whole of it (in UTC, as Vesta's documented choice for values without a zone); a time to the
 * minute spans 60 s, to the second 1 s, with fractions to the millisecond.
 */
export function interval(text: string): Interval {
  const day = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text);
  if (day) {
    const [y, m, d] = [Number(day[1]), day[2] === undefined ? undefined : Number(day[2]), day[3] === undefined ? undefined : Number(day[3])];
    const low = Date.UTC(y, (m ?? 1) - 1, d ?? 1);
    const next = d !== undefined ? Date.UTC(y, m! - 1, d + 1) : m !== undefined ? Date.UTC(y, m, 1) : Date.UTC(y + 1, 0, 1);
    return [low, next - 1];
  }
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!time) throw new Error(`not a FHIR date: ${text}`);
  const zoned = time[3] === undefined ? `${text}Z` : text;
  const low = Date.parse(zoned);
  const span = time[1] === undefined ? 60_000 : time[2] === undefined ? 1000 : 10 ** Math.max(0, 4 - time[2].length);
  return [low, low + span - 1];
}

/** The interval of an Observation's `effective[x]` (dateTime, instant or Period; a missing Period end is open). */
export function effectiveInterval(o: Json): Interval | undefined {
  const point = (o.effectiveDateTime ?? o.effectiveInstant) as string | undefined;
  if (point !== undefined) return interval(point);
  const p = o.effectivePeriod as Json | undefined;
  if (!p || (p.start === undefined && p.end === undefined)) return undefined;
  return [p.start === undefined ? -Infinity : interval(p.start)[0], p.end === undefined ? Infinity : interval(p.end)[1]];
}

/**
 * Whether a target interval satisfies `[prefix]value` (search.html#prefix, R4 wording): eq = the search
 * range contains the target; gt/lt = the range above/below the search value overlaps the target;
 * ge/le = gt/lt or eq; ne = not eq.
 */
export function datePrefixMatches(query: string, target: Interval | undefined): boolean {
  if (target === undefined) return false;
  const m = /^(eq|ne|gt|lt|ge|le)?(.*)$/.exec(query)!;
  const prefix = m[1] ?? 'eq';
  const [low, high] = interval(m[2]);
  const contains = low <= target[0] && target[1] <= high;
  const above = target[1] > high;
  const below = target[0] < low;
  switch (prefix) {
    case 'eq': return contains;
    case 'ne': return !contains;
    case 'gt': return above;
    case 'lt': return below;
    case 'ge': return above || contains;
    case 'le': return below || contains;
    default: throw new Error(`unsupported prefix ${prefix}`);
  }
}

/** ANDs `date` repeats and ORs comma lists, as search.html#combining says. */
export const allOf = <T>(values: readonly string[], test: (v: string, x: T) => boolean) => (x: T): boolean =>
  values.every((v) => v.split(',').some((alt) => test(alt, x)));
