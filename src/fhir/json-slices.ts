import { adoptCarrier, adoptExact, parseExact, stringifyExact, stringifyExactElements, stringifyExactMember } from './exact-json.js';
import { isSpace, stringEnd } from './json-tokens.js';
import { Pacer } from './pacer.js';

/**
 * Large JSON bodies parsed and written in slices, so that no single step holds the event loop for long (issue 10
 * item 6). `JSON.parse` of several MB of small nodes takes hundreds of milliseconds, and handing a value parsed on
 * another thread back costs even more (V8's structured clone reads slower than `JSON.parse`). So another thread
 * checks the text and plans its pieces ({@link planSlices}: every container larger than a chunk is split into runs
 * of elements or members, each small), and the main thread parses the pieces one by one and joins them
 * ({@link assembleSlices}), letting other work run in between. The value is the same as a `JSON.parse` of the whole
 * text; the containers that were split form its "spine", which {@link stringifySliced} writes back in slices too.
 */

/** Consecutive elements of an array, or members of an object, parsed together: `text[s, e)` without the brackets. */
export interface SliceRun {
  t: 'r';
  s: number;
  e: number;
}

/** A member of a split object whose value is itself split. */
export interface SliceMember {
  t: 'm';
  key: string;
  node: SliceNode;
}

/** How one JSON value is parsed: whole (`v`), or as an array (`a`) or object (`o`) joined from parts. */
export type SliceNode =
  | { t: 'v'; s: number; e: number }
  | { t: 'a'; parts: (SliceRun | SliceNode)[] }
  | { t: 'o'; parts: (SliceRun | SliceMember)[] };

/** What the main thread needs to parse checked JSON text in slices. */
export interface SlicePlan {
  /** Some number is written otherwise than JavaScript writes it (json-text.ts): pieces are parsed with `parseExact`. */
  exactNumbers: boolean;
  root: SliceNode;
}

/** Default largest piece, in characters: `JSON.parse` reads about 100 characters a microsecond, so a few ms each. */
export const CHUNK_CHARS = 256 * 1024;

/** The largest piece for bodies of `largeBytes` and more: at most {@link CHUNK_CHARS}, and no larger than such a body. */
export const chunkFor = (largeBytes: number): number => Math.min(CHUNK_CHARS, Math.max(512, largeBytes));

/** Checks JSON text and plans its pieces off the event loop (workers/worker-pool.ts implements it). */
export interface JsonPlanner {
  /** The plan of `text` (the same FhirErrors as `checkJsonText`); offsets are into the text without a byte order mark. */
  planJson(text: string, maxDepth: number, chunk: number): Promise<SlicePlan>;
}

/**
 * Plans the pieces of `text`, which must be valid JSON (checked by `checkJsonText`): containers spanning more
 * than `chunk` characters are split into runs of at most `chunk` characters (a single larger element, a long
 * string say, is a run of its own) and split containers. With exact numbers, pieces are a quarter of that:
 * `parseExact` is slower than `JSON.parse`. One pass over the text; recursion is as deep as the nesting, which
 * the check has bounded.
 */
export function planSlices(text: string, exactNumbers: boolean, size = CHUNK_CHARS): SlicePlan {
  const chunk = exactNumbers ? Math.max(128, size >> 2) : size;
  const n = text.length;
  let i = 0;
  const skipSpace = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };

  /** Reads the value at `i`, leaving `i` just past it; its node when it is a split container. */
  const value = (): SliceNode | undefined => {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i) + 1;
      return undefined;
    }
    if (c === 0x5b || c === 0x7b) return container(c === 0x7b);
    // A number or a literal: runs to the next delimiter.
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 0x2c || d === 0x5d || d === 0x7d || isSpace(d)) break;
      i++;
    }
    return undefined;
  };

  const container = (isObject: boolean): SliceNode | undefined => {
    const open = i++;
    const close = isObject ? 0x7d : 0x5d;
    const parts: (SliceRun | SliceNode | SliceMember)[] = [];
    let run: SliceRun | undefined;
    skipSpace();
    if (text.charCodeAt(i) === close) {
      i++;
      return undefined;
    }
    for (;;) {
      skipSpace();
      const start = i;
      let key: string | undefined;
      if (isObject) {
        const end = stringEnd(text, i);
        key = text.slice(i, end + 1);
        i = end + 1;
        skipSpace();
        i++; // the colon
        skipSpace();
      }
      const node = value();
      if (node !== undefined) {
        parts.push(isObject ? { t: 'm', key: JSON.parse(key!) as string, node } : node);
        run = undefined;
      } else if (run !== undefined && i - run.s <= chunk) {
        run.e = i;
      } else {
        run = { t: 'r', s: start, e: i };
        parts.push(run);
      }
      skipSpace();
      if (text.charCodeAt(i++) === close) break; // else a comma
    }
    if (i - open <= chunk) return undefined;
    return isObject ? { t: 'o', parts: parts as (SliceRun | SliceMember)[] } : { t: 'a', parts: parts as (SliceRun | SliceNode)[] };
  };

  skipSpace();
  const start = i;
  const root = value() ?? { t: 'v', s: start, e: i };
  return { exactNumbers, root };
}

/** Containers joined from pieces: the value's spine, which {@link stringifySliced} walks instead of writing whole. */
const spine = new WeakSet<object>();

/** True when `value` was joined from pieces (a large body's resource or one of its split parts). */
export function isSliced(value: unknown): boolean {
  return typeof value === 'object' && value !== null && spine.has(value);
}

/** Lets `to` (a copy of `from` made by spreading, such as a resource with new meta) be written in slices too. */
export function carrySliced(from: object, to: object): void {
  if (spine.has(from)) spine.add(to);
}

/** Defines a member as `JSON.parse` does: an own data property, even for the key `__proto__`. */
function setMember(target: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
  else target[key] = v;
}

/**
 * Parses `text` by the plan, one piece at a time, yielding to the event loop between pieces once a slice's budget
 * is spent (pacer.ts). The result equals `JSON.parse(text)` (with `parseExact`'s kept numbers when the plan says
 * so: each piece keeps its own, as `parseExact` would for the whole text).
 */
export async function assembleSlices(text: string, plan: SlicePlan, pace = new Pacer()): Promise<unknown> {
  const parse = plan.exactNumbers ? parseExact : (t: string): unknown => JSON.parse(t) as unknown;
  const exact = plan.exactNumbers;
  const build = async (node: SliceNode): Promise<unknown> => {
    switch (node.t) {
      case 'v':
        return parse(text.slice(node.s, node.e));
      case 'a': {
        const out: unknown[] = [];
        spine.add(out);
        for (const part of node.parts) {
          if (part.t === 'r') {
            const items = parse(`[${text.slice(part.s, part.e)}]`) as unknown[];
            if (exact) adoptExact(items, out, out.length);
            for (const item of items) out.push(item);
          } else {
            const item = await build(part);
            if (exact) adoptCarrier(item, out);
            out.push(item);
          }
          await pace.tick();
        }
        return out;
      }
      case 'o': {
        const out: Record<string, unknown> = {};
        spine.add(out);
        for (const part of node.parts) {
          if (part.t === 'r') {
            const members = parse(`{${text.slice(part.s, part.e)}}`) as Record<string, unknown>;
            if (exact) adoptExact(members, out);
            for (const key of Object.keys(members)) setMember(out, key, members[key]);
          } else {
            const v = await build(part.node);
            if (exact) adoptCarrier(v, out);
            setMember(out, part.key, v);
          }
          await pace.tick();
        }
        return out;
      }
    }
  };
  return build(plan.root);
}

/** Elements written per step at first; adjusted so that each step takes about a millisecond. */
const FIRST_STEP = 64;

/**
 * `stringifyExact(value)`, written in steps with yields to the event loop between them (pacer.ts): the spine (the
 * containers {@link assembleSlices} joined) is walked, everything off it is written whole. The text is the same.
 */
export async function stringifySliced(value: unknown, pace = new Pacer()): Promise<string> {
  if (!isSliced(value)) return stringifyExact(value);
  const out: string[] = [];
  let step = FIRST_STEP;
  const write = async (v: object): Promise<void> => {
    if (Array.isArray(v)) {
      out.push('[');
      let first = true;
      let i = 0;
      while (i < v.length) {
        let text: string;
        if (isSliced(v[i])) {
          if (!first) out.push(',');
          first = false;
          await write(v[i] as object);
          i++;
          continue;
        }
        let j = i + 1;
        while (j < v.length && j - i < step && !isSliced(v[j])) j++;
        const t = performance.now();
        text = stringifyExactElements(v, i, j);
        const ms = performance.now() - t;
        // Aim at about a millisecond a step: long enough to cost little, short enough to pace finely.
        step = ms < 0.5 ? Math.min(step * 2, 65536) : ms > 2 ? Math.max(1, step >> 1) : step;
        if (!first) out.push(',');
        first = false;
        out.push(text);
        i = j;
        await pace.tick();
      }
      out.push(']');
      return;
    }
    out.push('{');
    let first = true;
    for (const key of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[key];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      out.push(first ? '' : ',', JSON.stringify(key), ':');
      first = false;
      if (isSliced(x)) await write(x as object);
      else {
        out.push(stringifyExactMember(v, key));
        await pace.tick();
      }
    }
    out.push('}');
  };
  await write(value as object);
  return out.join('');
}
