/**
 * FHIR rules the published JSON schema cannot express, checked by custom ajv keywords:
 * calendar-valid dates (datatypes.html#date: `2023-02-30` matches the regex but is no date) and the
 * narrative XHTML restrictions (narrative.html#xhtml, invariant txt-1).
 */

/** ajv keyword put on the date, dateTime and instant definitions. */
export const CALENDAR_KEYWORD = 'vestaCalendarDate';
/** ajv keyword put on the xhtml definition (Narrative.div). */
export const XHTML_KEYWORD = 'vestaXhtml';

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** True unless `value` has a month/day that does not exist (the pattern has already checked the shape). */
export function isCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string') return true;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return true;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  // Out-of-range months and days are the pattern's to report; this check adds only what the pattern cannot see.
  if (month < 1 || month > 12 || day < 1 || day > 31) return true;
  const max = month === 2 && isLeap(year) ? 29 : DAYS[month - 1];
  return day >= 1 && day <= max;
}

// Elements and attributes narrative.html forbids: scripts, forms, frames, objects, head/body, base/link,
// styles from elsewhere, event handlers and script URLs. Matching our own fixed patterns against stored text.
const FORBIDDEN_ELEMENT = /<\s*\/?\s*(script|style|form|input|button|textarea|select|iframe|frame|frameset|object|embed|applet|head|body|html|base|link|meta)\b/i;
const EVENT_ATTRIBUTE = /<[^>]*\s(on[a-z]+)\s*=/i;
const SCRIPT_URL = /(href|src|action|formaction|xlink:href)\s*=\s*["']?\s*(javascript|vbscript|data(?!:\s*image\/(png|gif|jpeg)[;,])):/i;
const DIV_ROOT = /^\s*<div\s[^>]*xmlns\s*=\s*["']http:\/\/www\.w3\.org\/1999\/xhtml["'][^>]*>[\s\S]*<\/div>\s*$/;

/** Why a narrative div is not acceptable, or undefined when it is (txt-1). */
export function xhtmlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (!DIV_ROOT.test(value)) return 'must be a single <div> element in the XHTML namespace';
  if (FORBIDDEN_ELEMENT.test(value)) return 'must not contain scripts, styles, forms, frames, objects, head, body, base, link or meta elements';
  if (EVENT_ATTRIBUTE.test(value)) return 'must not contain event attributes such as onclick';
  if (SCRIPT_URL.test(value)) return 'must not contain script URLs or data URLs other than images';
  // txt-2 (some non-whitespace content) is not enforced: official R4 examples break it and it carries no risk.
  return undefined;
}
