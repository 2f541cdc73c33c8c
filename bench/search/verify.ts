/**
 * Correctness before speed: sends sampled requests of each workload and compares status, Bundle.total,
 * the match and include entry counts, and the sort order with what the generator predicts.
 */
import { Rng } from '../lib/generate.js';
import { httpRequest } from '../lib/http-request.js';
import type { SearchQuery } from './queries.js';

/** The outcome of checking one workload on a sample of requests. */
export interface VerifyResult {
  name: string;
  checked: number;
  failed: number;
  /** The first few failures, one line each. */
  failures: string[];
}

interface Entry {
  resource?: Record<string, unknown>;
  search?: { mode?: string };
}

/**
 * Checks `samples` sampled requests of `query` against `origin` (fewer when `budgetMs` runs out, but at least 5);
 * never throws for a wrong answer, only reports it.
 */
export async function verifyQuery(origin: string, query: SearchQuery, samples: number, seed: number, budgetMs = 30_000): Promise<VerifyResult> {
  const rng = new Rng(seed);
  const failures: string[] = [];
  let failed = 0;
  let checked = 0;
  const deadline = performance.now() + budgetMs;
  for (let n = 0; n < samples && (n < 5 || performance.now() < deadline); n++) {
    checked++;
    const req = query.sample(rng);
    const problem = await check(origin, req.path, req.expect());
    if (problem !== undefined) {
      failed++;
      if (failures.length < 5) failures.push(`${req.path}: ${problem}`);
    }
  }
  return { name: query.name, checked, failed, failures };
}

async function check(origin: string, path: string, want: ReturnType<ReturnType<SearchQuery['sample']>['expect']>): Promise<string | undefined> {
  const res = await httpRequest(`${origin}${path}`, { headers: { Accept: 'application/fhir+json' }, timeoutMs: 30_000 });
  if (res.status !== 200) return `status ${res.status}: ${res.text.slice(0, 300)}`;
  const bundle = JSON.parse(res.text) as { total?: number; entry?: Entry[] };
  const entries = bundle.entry ?? [];
  const matches = entries.filter((e) => e.search?.mode === 'match');
  const includes = entries.filter((e) => e.search?.mode === 'include');
  if (bundle.total !== want.total) return `Bundle.total ${String(bundle.total)}, expected ${want.total}`;
  if (matches.length !== want.matches) return `${matches.length} match entries, expected ${want.matches}`;
  if (want.includes !== undefined && includes.length !== want.includes) {
    return `${includes.length} include entries, expected ${want.includes}`;
  }
  if (want.descendingBy !== undefined) {
    const keys = matches.map((e) => want.descendingBy!(e.resource ?? {}));
    for (let i = 1; i < keys.length; i++) {
      if (keys[i - 1]! < keys[i]!) return `not sorted descending at entry ${i}: ${keys[i - 1]} then ${keys[i]}`;
    }
  }
  return undefined;
}

/** Latency of one request at a time (no queueing), in ms with sub-millisecond precision. */
export interface SerialLatency {
  /** Requests timed (fewer than asked when the time budget ran out first). */
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/**
 * Sends `count` requests one after another and times each on the client (ms): the cost of the query itself,
 * without the queueing that 16 concurrent connections on a 2-core machine add to autocannon's numbers.
 * Stops early after `budgetMs` (but not before 10 requests) so a pathologically slow query cannot stall the bench.
 */
export async function serialTimes(origin: string, query: SearchQuery, count: number, seed: number, budgetMs = 20_000): Promise<number[]> {
  const rng = new Rng(seed);
  const times: number[] = [];
  const deadline = performance.now() + budgetMs;
  for (let n = 0; n < count && (n < 10 || performance.now() < deadline); n++) {
    const path = query.sample(rng).path;
    const started = performance.now();
    const res = await httpRequest(`${origin}${path}`, { headers: { Accept: 'application/fhir+json' }, timeoutMs: 30_000 });
    times.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status} during the serial latency probe`);
  }
  return times;
}

/** Percentiles and mean of request times from `serialTimes`. */
export function serialLatency(times: readonly number[]): SerialLatency {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), meanMs: sorted.reduce((s, t) => s + t, 0) / sorted.length };
}
