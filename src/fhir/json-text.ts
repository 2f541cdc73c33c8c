import { isNumberChar, isSpace, stringEnd, writtenBackSame } from './json-tokens.js';
import { badRequest } from './outcome.js';

/** What a scan of JSON text found beyond what `JSON.parse` reports. */
export interface JsonScan {
  /**
   * True when some number is written otherwise than JavaScript would write it back (`6.0`, `1e2`, `0.10`):
   * its precision as sent would be lost by a parse-and-stringify round trip (FHIR R4 datatypes.html#decimal).
   */
  exactNumbers: boolean;
  /** How many keys the text's objects have, repeats included (a string followed by `:` is a key). */
  keys: number;
}

/**
 * Scans JSON text for what `JSON.parse` lets pass or cannot afford: nesting deeper than `maxDepth` is a 400
 * too-costly, numbers JavaScript would write otherwise are noticed, and keys are counted so that a repeated key can
 * be told after parsing (see {@link checkJsonText}). It runs before `JSON.parse`, whose cost per level of nesting is
 * high (about 0.3 µs: a few MB of `[[[[` would hold the event loop for a second), so it must end, in linear time,
 * on any text: where the text cannot be JSON it stops and leaves the error to `JSON.parse`. One pass with strings
 * skipped natively, allocating nothing for keys and for most numbers.
 */
export function scanJson(text: string, maxDepth: number): JsonScan {
  let depth = 0;
  let keys = 0;
  let exactNumbers = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c <= 0x20) {
      // Whitespace (control characters too: JSON.parse refuses them), a run at a time: indentation is most of a
      // pretty-printed text (60% of a Synthea Bundle).
      do i++;
      while (text.charCodeAt(i) <= 0x20);
    } else if (c === 0x22) {
      let k = stringEnd(text, i) + 1;
      i = k;
      while (isSpace(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) === 0x3a) keys++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        throw badRequest(`The JSON body is nested more than ${maxDepth} levels deep (VESTA_MAX_JSON_DEPTH)`, undefined, 'too-costly');
      }
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth < 0) break; // a closer without an opener: not JSON
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      if (!exactNumbers && !writtenBackSame(text, i, j)) exactNumbers = true;
      i = j;
    } else {
      i++;
    }
  }
  return { exactNumbers, keys };
}

/** How many keys the objects in a parsed JSON value (an object or array) have, each object counting its own once. */
function countKeys(value: object): number {
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null) count += countKeys(v);
    }
    return count;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    count++;
    const v = record[key];
    if (typeof v === 'object' && v !== null) count += countKeys(v);
  }
  return count;
}

/**
 * The first key repeated within one object of valid JSON `text`, or undefined: the slow look, taken only when the
 * counts say some key is repeated. Keys are compared as JSON.parse reads them (`"a"` and `"\u0061"` are one key).
 */
export function repeatedKey(text: string): string | undefined {
  // Keys seen per open container (undefined marks an array); past a few dozen keys an object's keys move to a Set.
  const keys: (string[] | undefined)[] = [];
  const many: (Set<string> | undefined)[] = [];
  let depth = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      const seen = depth > 0 ? keys[depth - 1] : undefined;
      let k = end + 1;
      while (isSpace(text.charCodeAt(k))) k++;
      if (seen !== undefined && text.charCodeAt(k) === 0x3a) {
        let key = text.slice(i + 1, end);
        if (key.includes('\\')) key = JSON.parse(text.slice(i, end + 1)) as string;
        const set = many[depth - 1];
        if (set !== undefined ? set.has(key) : seen.includes(key)) return key;
        if (set !== undefined) set.add(key);
        else if (seen.length < 32) seen.push(key);
        else many[depth - 1] = new Set([...seen, key]);
      }
      i = end + 1;
    } else if (c === 0x7b || c === 0x5b) {
      keys[depth] = c === 0x7b ? [] : undefined;
      many[depth] = undefined;
      depth++;
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      i++;
    } else {
      i++;
    }
  }
  return undefined;
}

/** JSON text that {@link checkJsonText} accepted: the text without its byte order mark, its value, and its scan. */
export interface CheckedJson extends Pick<JsonScan, 'exactNumbers'> {
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
  // JSON.parse keeps the last of a repeated key, silently dropping data (RFC 8259 leaves the meaning open): fewer
  // keys parsed than written means some object repeats one.
  if (typeof value === 'object' && value !== null && countKeys(value) !== scan.keys) {
    const key = repeatedKey(text);
    if (key !== undefined) {
      throw badRequest(`The JSON body has the key '${key.slice(0, 64)}' twice in one object; each key may appear once`, undefined, 'structure');
    }
  }
  return { text, value, exactNumbers: scan.exactNumbers };
}
