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
