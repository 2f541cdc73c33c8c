import { badRequest } from './outcome.js';

const DATE_TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * Parses an instant-like parameter (`_since`, `_at`) to an ISO instant. Partial dates are read as their
 * start, in UTC when no zone is given; `_at` accepts a date-time with any precision (http.html#history).
 */
export function parseInstant(raw: string, param: string, allowPartial = true): string {
  const v = raw.trim();
  if (!DATE_TIME.test(v) || (!allowPartial && !v.includes('T'))) {
    throw badRequest(`${param} must be a FHIR instant such as 2024-01-31T10:00:00Z`, [param]);
  }
  let s = v;
  if (/^\d{4}$/.test(s)) s += '-01-01';
  else if (/^\d{4}-\d{2}$/.test(s)) s += '-01';
  if (!s.includes('T')) s += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}:\d{2})$/.test(s)) s += 'Z';
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw badRequest(`${param} is not a valid date-time`, [param]);
  return new Date(t).toISOString();
}
