import { isNumberChar, isSpace, stringEnd } from './json-tokens.js';
import { badRequest } from './outcome.js';

/** What a scan of JSON text found beyond what `JSON.parse` reports. */
export interface JsonScan {
  /**
   * True when some number is written otherwise than JavaScript would write it back (`6.0`, `1e2`, `0.10`):
   * its precision as sent would be lost by a parse-and-stringify round trip (FHIR R4 datatypes.html#decimal).
   */
  exactNumbers: boolean;
}

/**
 * Checks JSON text for what `JSON.parse` lets pass: a key repeated in one object (RFC 8259 leaves the meaning open;
 * JSON.parse keeps the last, silently dropping data) is a 400 naming the key, and nesting deeper than `maxDepth` is a
 * 400 too-costly. It runs before `JSON.parse`, whose cost per level of nesting is high (about 0.3 µs: a few MB of
 * `[[[[` would hold the event loop for a second), so it must end, in linear time, on any text: where the text
 * cannot be JSON it stops and leaves the error to `JSON.parse`. One pass with strings skipped natively; a typical
 * resource costs a few microseconds.
 */
export function scanJson(text: string, maxDepth: number): JsonScan {
  // Keys seen per open container, reused level by level (undefined marks an array); most objects have a handful
  // of keys, for which a linear look-up in a reused array beats allocating a Set.
  const keys: (string[] | undefined)[] = [];
  // Past a few dozen keys an object's keys move to a Set, so a huge object stays linear.
  const many: (Set<string> | undefined)[] = [];
  const isObject: boolean[] = [];
  let depth = 0;
  let exactNumbers = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      if (depth > 0 && isObject[depth - 1] === true) {
        let k = end + 1;
        while (isSpace(text.charCodeAt(k))) k++;
        if (text.charCodeAt(k) === 0x3a) {
          let key = text.slice(i + 1, end);
          if (key.includes('\\')) {
            try {
              key = JSON.parse(text.slice(i, end + 1)) as string;
            } catch {
              break; // a malformed escape: not JSON
            }
          }
          const seen = keys[depth - 1]!;
          const set = many[depth - 1];
          if (set !== undefined ? set.has(key) : seen.includes(key)) {
            throw badRequest(`The JSON body has the key '${key.slice(0, 64)}' twice in one object; each key may appear once`, undefined, 'structure');
          }
          if (set !== undefined) set.add(key);
          else if (seen.length < 32) seen.push(key);
          else many[depth - 1] = new Set([...seen, key]);
        }
      }
      i = end + 1;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        throw badRequest(`The JSON body is nested more than ${maxDepth} levels deep (VESTA_MAX_JSON_DEPTH)`, undefined, 'too-costly');
      }
      isObject[depth - 1] = c === 0x7b;
      if (c === 0x7b) {
        const reused = keys[depth - 1];
        if (reused === undefined) keys[depth - 1] = [];
        else reused.length = 0;
        many[depth - 1] = undefined;
      }
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth < 0) break; // a closer without an opener: not JSON
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      if (!exactNumbers) {
        const raw = text.slice(i, j);
        if (String(Number(raw)) !== raw) exactNumbers = true;
      }
      i = j;
    } else {
      i++;
    }
  }
  return { exactNumbers };
}

/** JSON text that {@link checkJsonText} accepted: the text without its byte order mark, its value, and its scan. */
export interface CheckedJson extends JsonScan {
  text: string;
  value: unknown;
}

/**
 * Checks a request body as JSON: 400 with a generic message when it is empty or not JSON (the parser's own message
 * may echo content), 400 naming the key when an object repeats a key, 400 too-costly when nested deeper than
 * `maxDepth` (see {@link scanJson}). A UTF-8 byte order mark before the text is allowed (RFC 8259 section 8.1).
 */
export function checkJsonText(raw: string, maxDepth: number): CheckedJson {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.trim() === '') throw badRequest('The request body is empty; a JSON resource was expected', undefined, 'structure');
  // The scan first: it refuses deep nesting before JSON.parse would spend long on it.
  const scan = scanJson(text, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message)?.[1];
    throw badRequest(`The request body is not valid JSON${pos ? ` (near byte ${pos})` : ''}`, undefined, 'structure');
  }
  return { text, value, ...scan };
}
