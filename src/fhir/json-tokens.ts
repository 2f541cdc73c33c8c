/** The few facts about JSON text that the scanners of this folder share (RFC 8259). */

/** JSON's whitespace: space, line feed, carriage return, tab. */
export const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A character that can be part of a number token (digits, `.`, `-`, `+`, `e`, `E`). */
export const isNumberChar = (c: number): boolean => (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45;

/**
 * The index of the quote that closes the string opening at `open` (skipped natively with indexOf); the text's length
 * when none does, which only text that is not JSON can cause.
 */
export function stringEnd(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  for (;;) {
    if (j < 0) return text.length;
    let k = j - 1;
    while (text.charCodeAt(k) === 0x5c) k--;
    // An even number of backslashes before the quote: it is not escaped.
    if ((j - 1 - k) % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
}

/**
 * True when the number token `text[start, end)` is certainly written back the same by JavaScript
 * (`String(Number(token)) === token`), decided from its shape alone: an integer or a decimal of at most 15
 * digits (every such decimal survives a trip through a double), without an exponent, a leading or trailing zero
 * or `-0`, and not so small that JavaScript would write it with an exponent (below 1e-6). False means "look
 * closer", not "differs": the caller then asks String(Number(token)) itself. Most numbers in FHIR resources take
 * this path, which allocates nothing.
 */
export function plainNumber(text: string, start: number, end: number): boolean {
  let p = start;
  const negative = text.charCodeAt(p) === 0x2d;
  if (negative) p++;
  const intStart = p;
  while (p < end && isDigit(text.charCodeAt(p))) p++;
  const intLength = p - intStart;
  if (intLength === 0 || (intLength > 1 && text.charCodeAt(intStart) === 0x30)) return false;
  let fractionLength = 0;
  let leadingZeros = 0;
  if (p < end && text.charCodeAt(p) === 0x2e) {
    const fractionStart = ++p;
    while (p < end && isDigit(text.charCodeAt(p))) p++;
    fractionLength = p - fractionStart;
    if (fractionLength === 0 || text.charCodeAt(p - 1) === 0x30) return false;
    while (text.charCodeAt(fractionStart + leadingZeros) === 0x30) leadingZeros++;
  }
  if (p !== end || intLength + fractionLength > 15) return false;
  if (intLength === 1 && text.charCodeAt(intStart) === 0x30) return fractionLength === 0 ? !negative : leadingZeros < 6;
  return true;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** True when JavaScript writes the number token `text[start, end)` back the same: by its shape when that tells (plainNumber), else by trying. */
export function writtenBackSame(text: string, start: number, end: number): boolean {
  if (plainNumber(text, start, end)) return true;
  const raw = text.slice(start, end);
  return String(Number(raw)) === raw;
}
