/**
 * Search bench (issue #3): FHIR searches on a realistic population at two sizes, 5,000 Patients (~125k resources)
 * and 50,000 Patients (~1.25M resources).
 *
 * For each size: seed the population in-process through the real write path (bench/search/seed.ts; reused from
 * /tmp when a complete seed exists), start `node dist/src/main.js` on it, check sampled answers against the
 * generator (status, Bundle.total, entry counts, sort order), run autocannon (16 connections, BENCH_DURATION s)
 * per query with new parameter values on every request, then time requests one at a time. The server runs
 * with its defaults except VESTA_SQLITE_CACHE_MB, sized to hold the database (as one sizes a database server's
 * buffer pool; BENCH_SEARCH_CACHE_MB overrides it), and is measured once ready, i.e. after its prewarm. Prints a table per
 * size and the p50 ratio large/small; for a query that misses a target it prints the SQLite plans of its SQL.
 *
 * Targets: p50 < 5 ms and p99 < 30 ms for patient-scoped queries; p50(1.25M) within 1.5x of p50(125k).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/search-bench.js [--reseed]`
 * Environment: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 2), BENCH_CONNECTIONS (default 16),
 * BENCH_SEARCH_SIZES (Patients, default "5000,50000"), BENCH_SEARCH_DIR (default $TMPDIR/vesta-search-bench),
 * BENCH_RESEED=1 (same as --reseed), BENCH_SEARCH_SAMPLES (checked requests per query, default 25),
 * BENCH_SERIAL (one-at-a-time requests per query, default 200), BENCH_SEARCH_CACHE_MB (read cache per connection),
 * BENCH_BASELINE (another checkout, built: measured side by side, see benchPopulation, with a table of the ratios),
 * BENCH_ROUNDS (rounds per query with a baseline, median kept, default 3).
 * Exit code 1 when a server failed, an answer was wrong or a response was not 2xx; missed targets are reported.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type autocannon from 'autocannon';
import { Rng } from './lib/generate.js';
import { medianRun, warmAndRun, type LoadResult } from './lib/load.js';
import { fmt, formatTable, machineInfo } from './lib/report.js';
import { startServer, type ServerHandle, type ServerSpec } from './lib/server-process.js';
import { loadBenchSettings } from './lib/settings.js';
import { vestaVariants } from './lib/targets.js';
import { DEFAULT_SEED } from '../src/sample/population.js';
import { explainSearches, formatExplained } from './search/explain.js';
import { searchQueries, type SearchQuery } from './search/queries.js';
import { describeSeed, ensureSeeded, type SeededPopulation } from './search/seed.js';
import { serialLatency, serialTimes, verifyQuery, type SerialLatency, type VerifyResult } from './search/verify.js';

/** Latency targets of issue #3. */
export const TARGETS = { p50Ms: 5, p99Ms: 30, p50Growth: 1.5 } as const;

/** Everything measured for one query on one population. */
export interface QueryRun {
  name: string;
  patientScoped: boolean;
  verify: VerifyResult;
  serial?: SerialLatency;
  load?: LoadResult;
}

/** One population on one server (this build, or the BENCH_BASELINE build): its seed report and the query runs. */
export interface PopulationRun {
  server: string;
  patients: number;
  seed: SeededPopulation;
  /** VESTA_SQLITE_CACHE_MB the server ran with, and the seconds from start to ready (prewarm included). */
  cacheMiB?: number;
  readySeconds?: number;
  queries: QueryRun[];
  error?: string;
}

/** The whole search bench. */
export interface SearchBenchResult {
  machine: string;
  populations: PopulationRun[];
  /** Every answer checked was right, every response 2xx and no server failed. */
  clean: boolean;
}

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return n;
}

function sizesFromEnv(): number[] {
  const raw = process.env.BENCH_SEARCH_SIZES?.trim() || '5000,50000';
  return raw.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_SEARCH_SIZES must list Patient counts, got "${raw}"`);
    return n;
  });
}

/** autocannon requests that draw a fresh sampled path for every request. */
function loadRequests(query: SearchQuery, headers: Record<string, string>, seed: number): autocannon.Request[] {
  const rng = new Rng(seed);
  return [{
    method: 'GET',
    path: query.sample(new Rng(seed)).path,
    headers: { Accept: 'application/fhir+json', ...headers },
    setupRequest: (req) => {
      req.path = query.sample(rng).path;
      return req;
    },
  }];
}

/**
 * The read cache per connection for a population: BENCH_SEARCH_CACHE_MB, or enough for the whole database
 * (VESTA_SQLITE_CACHE_MB is sized to the hot data, as one sizes a database server's buffer pool).
 */
function cacheMiBFor(seed: SeededPopulation): number {
  const fixed = process.env.BENCH_SEARCH_CACHE_MB?.trim();
  if (fixed) return intEnv('BENCH_SEARCH_CACHE_MB', 512);
  return Math.max(512, Math.ceil(((seed.dbBytes + seed.walBytes) / 1024 ** 2) * 1.1));
}

/** Starts a Vesta build on an existing data dir (startServer's own temp dir stays unused and is removed on stop). */
function startOn(spec: ServerSpec, dataDir: string, cacheMiB: number): Promise<ServerHandle> {
  return startServer({
    ...spec, name: `${spec.name}-search`,
    env: (port, host, tmp) => ({ ...spec.env(port, host, tmp), VESTA_DATA_DIR: dataDir, VESTA_SQLITE_CACHE_MB: String(cacheMiB) }),
  }, 900_000); // ready once the read worker has loaded its cache (prewarm), which takes a while at 1.25M
}

function missesTargets(run: QueryRun): boolean {
  if (!run.load) return false;
  // A run whose requests timed out has no meaningful percentiles: it missed whatever its numbers say.
  if (run.load.completed === 0 || run.load.timeouts > 0) return true;
  return run.patientScoped && (run.load.latencyP50Ms >= TARGETS.p50Ms || run.load.latencyP99Ms >= TARGETS.p99Ms);
}

/** One Vesta build up on a population, and what it measured. */
interface Side {
  spec: ServerSpec;
  run: PopulationRun;
  server?: ServerHandle;
}

/**
 * Seeds (or reuses) one population and measures every Vesta variant on it. With a baseline (BENCH_BASELINE), both
 * servers stay up on the same data and each query is measured on both back to back, in BENCH_ROUNDS rounds that
 * alternate which goes first, the run with the median throughput kept (as the HTTP bench does): drift in machine
 * load then hits both sides of a ratio alike. Measured one after the other, the server measured first came out
 * 2–5% slower than an identical build measured second. Both servers hold their read cache meanwhile.
 */
async function benchPopulation(patients: number, force: boolean): Promise<PopulationRun[]> {
  console.log(`\n# Population: ${patients} Patients`);
  const seed = await ensureSeeded({ patients, force });
  console.log(describeSeed(seed));
  const settings = loadBenchSettings();
  const sides: Side[] = vestaVariants().map((spec) => ({ spec, run: { server: spec.name, patients, seed, queries: [] } }));
  const rounds = sides.length > 1 ? settings.rounds : 1;
  try {
    for (const side of sides) await startSide(side, seed).catch((err: unknown) => failSide(side, err));
    const queries = searchQueries({ seed: DEFAULT_SEED, patients });
    for (const [qi, query] of queries.entries()) {
      const samples = new Map<Side, LoadResult[]>();
      for (const side of sides) if (!side.run.error) await checkQuery(side, query, qi).catch((err: unknown) => failSide(side, err));
      for (let round = 0; round < rounds; round++) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          if (side.run.error) continue;
          try {
            const load = await warmAndRun(side.server!, () => loadRequests(query, side.server!.headers, 3000 + qi), {
              title: query.name, durationSec: settings.durationSec, warmupSec: round === 0 ? settings.warmupSec : 0, connections: settings.connections,
            });
            samples.set(side, [...(samples.get(side) ?? []), load]);
            if (!side.server!.alive()) throw new Error(`server died during ${query.name}:\n${side.server!.outputTail()}`);
          } catch (err) {
            failSide(side, err);
          }
        }
      }
      await timeOneAtATime(sides, query, qi, rounds);
      for (const side of sides) {
        const qr = side.run.queries[qi];
        const list = samples.get(side);
        if (!qr || !list) continue;
        qr.load = medianRun(list);
        console.log(`  ${side.spec.name}: ${fmt(qr.load?.requestsPerSec)} req/s (${list.map((l) => fmt(l.requestsPerSec)).join(', ')}), ` +
          `p50 ${qr.load?.latencyP50Ms} ms, p99 ${qr.load?.latencyP99Ms} ms, non-2xx ${qr.load?.non2xx}; ` +
          `one at a time: p50 ${fmt(qr.serial?.p50Ms, 2)} ms, p99 ${fmt(qr.serial?.p99Ms, 2)} ms`);
      }
    }
  } finally {
    await Promise.all(sides.map((side) => side.server?.stop()));
  }
  for (const side of sides) await explainSlow(side, patients, seed);
  return sides.map((side) => side.run);
}

async function startSide(side: Side, seed: SeededPopulation): Promise<void> {
  const cacheMiB = cacheMiBFor(seed);
  const started = performance.now();
  side.server = await startOn(side.spec, seed.dataDir, cacheMiB);
  side.run.readySeconds = (performance.now() - started) / 1000;
  side.run.cacheMiB = cacheMiB;
  console.log(`${side.spec.name} ready at ${side.server.fhirBase} (pid ${side.server.pid}) after ${side.run.readySeconds.toFixed(1)} s ` +
    `(VESTA_SQLITE_CACHE_MB=${cacheMiB}, read cache prewarmed)`);
}

function failSide(side: Side, err: unknown): void {
  side.run.error = err instanceof Error ? err.message : String(err);
  console.error(`${side.spec.name}, population ${side.run.patients} failed: ${side.run.error}`);
}

/** Checks sampled answers of `query` on one server. */
async function checkQuery(side: Side, query: SearchQuery, qi: number): Promise<void> {
  const samples = intEnv('BENCH_SEARCH_SAMPLES', 25);
  const verify = await verifyQuery(side.server!.origin, query, samples, 1000 + qi);
  const qr: QueryRun = { name: query.name, patientScoped: query.patientScoped, verify };
  side.run.queries[qi] = qr;
  console.log(`${side.spec.name} ${query.name}: ${verify.checked - verify.failed}/${verify.checked} sampled answers correct`);
  for (const f of verify.failures) console.log(`  WRONG ${f}`);
}

/**
 * Times `query` one request at a time on every server, after its load rounds (so every server is equally warm),
 * in as many slices as there are rounds, alternating which server goes first, like the load rounds: the latency
 * ratio then compares like with like rather than the first-measured server with the second.
 */
async function timeOneAtATime(sides: Side[], query: SearchQuery, qi: number, rounds: number): Promise<void> {
  const slice = Math.ceil(intEnv('BENCH_SERIAL', 200) / rounds);
  const times = new Map<Side, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      if (side.run.error || !side.run.queries[qi]) continue;
      try {
        const part = await serialTimes(side.server!.origin, query, slice, 2000 + qi * 100 + round, 20_000 / rounds);
        times.set(side, [...(times.get(side) ?? []), ...part]);
      } catch (err) {
        failSide(side, err);
      }
    }
  }
  for (const [side, list] of times) side.run.queries[qi]!.serial = serialLatency(list);
}

/** For the queries of one server that miss a target, the SQLite plans of their SQL. */
async function explainSlow(side: Side, patients: number, seed: SeededPopulation): Promise<void> {
  const queries = searchQueries({ seed: DEFAULT_SEED, patients });
  const slow = queries.filter((q, i) => side.run.queries[i] !== undefined && missesTargets(side.run.queries[i]!));
  if (slow.length === 0) return;
  console.log(`\nSQLite plans of the queries that miss a target (${side.spec.name}, ${patients} Patients):`);
  const rng = new Rng(77);
  console.log(formatExplained(await explainSearches(seed.dataDir, slow.map((q) => q.sample(rng).path.replace(/^\/fhir\//, '')))));
}

/** A latency percentile for the tables; autocannon reports 0 when every request timed out. */
function latency(load: LoadResult | undefined, which: 'latencyP50Ms' | 'latencyP99Ms'): string {
  if (!load) return 'n/a';
  if (load.completed === 0) return 'timeout';
  return fmt(load[which], 2);
}

function populationTable(p: PopulationRun): string {
  return formatTable(
    ['query', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx+timeouts', 'correct', '1-at-a-time p50 ms', '1-at-a-time p99 ms'],
    p.queries.map((q) => [
      q.name, fmt(q.load?.requestsPerSec), latency(q.load, 'latencyP50Ms'), latency(q.load, 'latencyP99Ms'),
      q.load ? String(q.load.non2xx + q.load.errors + q.load.timeouts) : 'n/a',
      `${q.verify.checked - q.verify.failed}/${q.verify.checked}`, fmt(q.serial?.p50Ms, 2), fmt(q.serial?.p99Ms, 2),
    ]),
  );
}

function ratioTable(small: PopulationRun, large: PopulationRun): string {
  const rows = small.queries.map((s) => {
    const l = large.queries.find((q) => q.name === s.name);
    const ratio = (a?: number, b?: number): string => (a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);
    const timedOut = !s.load?.completed || !l?.load?.completed;
    const loadRatio = timedOut ? 'n/a' : ratio(l?.load?.latencyP50Ms, s.load?.latencyP50Ms);
    const serialRatio = ratio(l?.serial?.p50Ms, s.serial?.p50Ms);
    // The growth target is about the patient-scoped queries (same result size at both populations); a name
    // prefix matches ten times as many Patients in ten times the population, so its work grows with its answer.
    let met = 'n/a (not patient-scoped)';
    if (s.patientScoped) {
      met = timedOut || !l?.load ? 'NO' : l.load.latencyP50Ms / s.load!.latencyP50Ms <= TARGETS.p50Growth ? 'yes' : 'NO';
    }
    return [s.name, latency(s.load, 'latencyP50Ms'), latency(l?.load, 'latencyP50Ms'), loadRatio, fmt(s.serial?.p50Ms, 2), fmt(l?.serial?.p50Ms, 2), serialRatio, met];
  });
  return formatTable(
    ['query', `p50 ${small.patients}`, `p50 ${large.patients}`, 'ratio', `1-at-a-time p50 ${small.patients}`, `1-at-a-time p50 ${large.patients}`, 'ratio', `p50 ratio <= ${TARGETS.p50Growth}x`],
    rows,
  );
}

/** Throughput and latency of one build against another, query by query, on the same population in the same run. */
function comparisonTable(mine: PopulationRun, other: PopulationRun): string {
  const ratio = (a?: number, b?: number): string => (a === undefined || b === undefined || b === 0 ? 'n/a' : fmt(a / b, 2));
  const rows = mine.queries.map((q) => {
    const o = other.queries.find((x) => x.name === q.name);
    return [q.name, fmt(q.load?.requestsPerSec), fmt(o?.load?.requestsPerSec), ratio(q.load?.requestsPerSec, o?.load?.requestsPerSec),
      ratio(q.serial?.p50Ms, o?.serial?.p50Ms)];
  });
  const ratios = mine.queries.flatMap((q) => {
    const o = other.queries.find((x) => x.name === q.name);
    return q.load && o?.load && o.load.requestsPerSec > 0 ? [q.load.requestsPerSec / o.load.requestsPerSec] : [];
  });
  const mean = ratios.length === 0 ? undefined : ratios.reduce((a, b) => a + b, 0) / ratios.length;
  rows.push(['mean', '', '', fmt(mean, 2), '']);
  return formatTable(['query', `${mine.server} req/s`, `${other.server} req/s`, 'req/s ratio', '1-at-a-time p50 ratio'], rows);
}

/** Runs the search bench at every configured size and prints the tables; see the file comment. */
export async function runSearchBench(): Promise<SearchBenchResult> {
  const force = process.argv.includes('--reseed') || process.env.BENCH_RESEED === '1';
  const settings = loadBenchSettings();
  const machine = machineInfo();
  console.log(`# Vesta search bench\n${machine}\nautocannon: ${settings.connections} connections, ${settings.durationSec} s per query ` +
    `after ${settings.warmupSec} s warm-up; parameter values change on every request`);
  const populations: PopulationRun[] = [];
  for (const patients of sizesFromEnv()) {
    try {
      populations.push(...(await benchPopulation(patients, force)));
    } catch (err) {
      console.error(`population ${patients}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }
  console.log('\n# Results');
  for (const p of populations) {
    const server = p.readySeconds === undefined ? '' : `\nserver: VESTA_SQLITE_CACHE_MB=${p.cacheMiB}, ready (cache prewarmed) after ${p.readySeconds.toFixed(1)} s`;
    console.log(`\n## ${p.server}, ${p.patients} Patients: ${describeSeed(p.seed)}${server}${p.error ? `\nFAILED: ${p.error}` : ''}`);
    console.log(formatTable(['query', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx+timeouts'], p.queries.map((q) => [
      q.name, fmt(q.load?.requestsPerSec), latency(q.load, 'latencyP50Ms'), latency(q.load, 'latencyP99Ms'),
      q.load ? String(q.load.non2xx + q.load.errors + q.load.timeouts) : 'n/a',
    ])));
    console.log(`\nWith correctness and one-request-at-a-time latency (all latencies client-timed, to 0.01 ms):\n${populationTable(p)}`);
    for (const q of p.queries.filter(missesTargets)) {
      console.log(`target missed: ${q.name} p50 ${latency(q.load, 'latencyP50Ms')} ms (< ${TARGETS.p50Ms}), ` +
        `p99 ${latency(q.load, 'latencyP99Ms')} ms (< ${TARGETS.p99Ms}), timeouts ${q.load?.timeouts ?? 0}`);
    }
  }
  for (const name of [...new Set(populations.map((p) => p.server))]) {
    const mine = populations.filter((p) => p.server === name);
    const small = mine[0];
    const large = mine[mine.length - 1];
    if (small && large && small !== large) {
      console.log(`\n## ${name}: p50 growth ${large.patients} / ${small.patients} Patients (target <= ${TARGETS.p50Growth}x)\n${ratioTable(small, large)}`);
    }
  }
  for (const patients of [...new Set(populations.map((p) => p.patients))]) {
    const [mine, ...others] = populations.filter((p) => p.patients === patients);
    for (const other of others) console.log(`\n## ${mine!.server} / ${other.server}, ${patients} Patients\n${comparisonTable(mine!, other)}`);
  }
  const clean = populations.length === sizesFromEnv().length * vestaVariants().length && populations.every((p) => p.error === undefined &&
    p.queries.every((q) => q.verify.failed === 0 && q.load !== undefined && q.load.non2xx + q.load.errors + q.load.timeouts === 0));
  console.log(`\n${clean ? 'all answers correct, all responses 2xx' : 'NOT CLEAN: see wrong answers, failures or non-2xx above'}`);
  return { machine, populations, clean };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runSearchBench().then(
    (r) => process.exit(r.clean ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
