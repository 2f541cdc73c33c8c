import assert from 'node:assert/strict';
import { fhir } from './test-app.js';
import type { Json } from './synthea.js';

/** What a search returned over all its pages. */
export interface Walked {
  /** Ids of the `match` entries, in order, duplicates kept. */
  matches: string[];
  /** `Type/id` of the `include` entries, in order, duplicates kept (across pages). */
  includes: string[];
  /** `Bundle.total` of every page. */
  totals: (number | undefined)[];
  /** The Bundles, page by page. */
  pages: Json[];
}

const STRICT = { Prefer: 'handling=strict' };

/** `{base}/{path}?{query}` with the query encoded (so `+` in a dateTime offset survives). */
export const searchUrl = (base: string, path: string, query: [string, string][]): string =>
  `${base}/${path}?${new URLSearchParams(query).toString()}`;

/**
 * Runs a search with `Prefer: handling=strict` and follows `next` links to the end, asserting 200 and a
 * `searchset` on every page and that the entries carry `search.mode` match or include.
 */
export async function walk(base: string, path: string, query: [string, string][], maxPages = 200): Promise<Walked> {
  const out: Walked = { matches: [], includes: [], totals: [], pages: [] };
  let next: string | undefined = searchUrl(base, path, query);
  while (next !== undefined) {
    const url: string = next;
    const res = await fhir('GET', url, { headers: STRICT }).catch((e: Error) => {
      throw new Error(`GET ${url} failed: ${e.message} (${String((e.cause as Error | undefined)?.message ?? e.cause)})`);
    });
    assert.equal(res.status, 200, `GET ${url} → ${res.status} ${res.text.slice(0, 400)}`);
    assert.equal(res.body.type, 'searchset');
    out.pages.push(res.body);
    out.totals.push(res.body.total);
    for (const e of (res.body.entry ?? []) as Json[]) {
      if (e.search?.mode === 'match') out.matches.push(e.resource.id as string);
      else if (e.search?.mode === 'include') out.includes.push(`${e.resource.resourceType as string}/${e.resource.id as string}`);
      else assert.fail(`entry ${e.fullUrl as string} has search.mode ${JSON.stringify(e.search)}`);
    }
    next = (res.body.link as Json[] | undefined)?.find((l) => l.relation === 'next')?.url as string | undefined;
    assert.ok(out.pages.length <= maxPages, `paging of ${path} stops within ${maxPages} pages`);
  }
  return out;
}

/** A readable difference between two id lists (for assertion messages). */
export function describeDiff(actual: readonly string[], expected: readonly string[]): string {
  const a = new Set(actual);
  const e = new Set(expected);
  const missing = [...e].filter((x) => !a.has(x));
  const extra = [...a].filter((x) => !e.has(x));
  const dups = actual.filter((x, i) => actual.indexOf(x) !== i);
  return `expected ${e.size}, got ${actual.length}; missing [${missing.join(', ')}]; extra [${extra.join(', ')}]; duplicated [${dups.join(', ')}]`;
}

/** Asserts that `actual` holds exactly the ids of `expected`, each once. */
export function assertSameIds(actual: readonly string[], expected: readonly string[], what: string): void {
  const ok = actual.length === expected.length && new Set(actual).size === actual.length
    && [...actual].sort().join() === [...new Set(expected)].sort().join();
  assert.ok(ok, `${what}: ${describeDiff(actual, expected)}`);
}
