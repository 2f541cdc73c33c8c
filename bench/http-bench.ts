/**
 * HTTP CRUD bench: Vesta against the bare Express + SQLite ceiling, same machine, same data,
 * same durability. Each server gets its own fresh data dir, a preload of generated Patients,
 * then measured create, read and conditional-update loads. Only one server is under load at a
 * time, and each workload runs on both back to back so the ratio compares like with like.
 */
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import { medianRun, warmAndRun, type LoadResult } from './lib/load.js';
import { preloadPatients } from './lib/preload.js';
import { fmt, formatTable, machineInfo } from './lib/report.js';
import { startServer, type ServerHandle, type ServerSpec } from './lib/server-process.js';
import { loadBenchSettings, type BenchSettings } from './lib/settings.js';
import { ceilingSpec, isBuilt, vestaVariants } from './lib/targets.js';
import { VersionPool } from './lib/version-pool.js';
import { createWorkload, readWorkload, updateWorkload } from './lib/workloads.js';

export { warmAndRun, runLoad, type LoadResult, type LoadOptions } from './lib/load.js';
export { preloadPatients, type PreloadResult, type StoredPatient } from './lib/preload.js';
export { formatTable, fmt, machineInfo } from './lib/report.js';
export { startServer, withServer, type ServerHandle, type ServerSpec } from './lib/server-process.js';
export { loadBenchSettings, type BenchSettings } from './lib/settings.js';
export { ceilingSpec, vestaSpec, vestaVariants, isBuilt, repoRoot } from './lib/targets.js';
export { generatePatient, generatePatients, Rng } from './lib/generate.js';
export { VersionPool } from './lib/version-pool.js';
export { httpRequest, type HttpResponse } from './lib/http-request.js';
export { FHIR_JSON_HEADERS, versionFromEtag, idFromLocation } from './lib/fhir-headers.js';
export { createWorkload, readWorkload, updateWorkload } from './lib/workloads.js';

/** The CRUD workloads, in the order they run. */
export const WORKLOADS = ['create', 'read', 'update'] as const;
/** One CRUD workload. */
export type Workload = (typeof WORKLOADS)[number];

/** Minimum Vesta/ceiling throughput ratio each workload must reach. */
export const TARGET_RATIOS: Readonly<Record<Workload, number>> = { create: 0.4, read: 0.6, update: 0.35 };

/** Everything measured on one server; `error` is set when the server failed part-way. */
export interface ServerRun {
  name: string;
  preload?: { count: number; seconds: number; perSecond: number };
  results: Partial<Record<Workload, LoadResult>>;
  error?: string;
}

/** The whole HTTP bench: settings, machine, one run per server, and whether it ran cleanly. */
export interface HttpBenchResult {
  settings: BenchSettings;
  machine: string;
  runs: ServerRun[];
  /** No server failed and every response was 2xx. */
  clean: boolean;
}

/** A server under test and what the workloads need from its preload. */
interface Contender {
  spec: ServerSpec;
  run: ServerRun;
  server?: ServerHandle;
  makers?: Record<Workload, () => autocannon.Request[]>;
}

async function startAndPreload(c: Contender, settings: BenchSettings): Promise<void> {
  const server = await startServer(c.spec);
  c.server = server;
  console.log(`\n[${c.spec.name}] ready at ${server.fhirBase} (pid ${server.pid})`);
  const pre = await preloadPatients(server, { count: settings.preload, concurrency: settings.connections });
  c.run.preload = { count: settings.preload, seconds: pre.seconds, perSecond: pre.perSecond };
  console.log(`[${c.spec.name}] preloaded ${settings.preload} Patients in ${pre.seconds.toFixed(1)} s (${pre.perSecond.toFixed(0)}/s)`);
  const ids = pre.patients.map((p) => p.id);
  const pool = new VersionPool(pre.patients);
  c.makers = {
    create: () => createWorkload(server.headers),
    read: () => readWorkload(server.headers, ids),
    update: () => updateWorkload(server.headers, pool),
  };
}

async function measure(c: Contender, workload: Workload, settings: BenchSettings, warm: boolean): Promise<LoadResult> {
  const { server, makers } = c;
  if (!server || !makers) throw new Error('not started');
  const r = await warmAndRun(server, makers[workload], {
    title: `${c.spec.name} ${workload}`,
    durationSec: settings.durationSec,
    warmupSec: warm ? settings.warmupSec : 0,
    connections: settings.connections,
  });
  if (!server.alive()) throw new Error(`exited during ${workload}:\n${server.outputTail()}`);
  const bad = r.non2xx + r.errors > 0 ? `  NON-2XX ${r.non2xx} ERRORS ${r.errors} ${JSON.stringify(r.statusCodes)}` : '';
  console.log(
    `[${c.spec.name}] ${workload.padEnd(6)} ${fmt(r.requestsPerSec).padStart(6)} req/s  p50 ${fmt(r.latencyP50Ms, 1)} ms  p99 ${fmt(r.latencyP99Ms, 1)} ms  server CPU ${fmt(r.cpuUsPerRequest)} µs/req${bad}`,
  );
  return r;
}

function fail(c: Contender, err: unknown): void {
  c.run.error = err instanceof Error ? err.message : String(err);
  console.error(`[${c.spec.name}] FAILED: ${c.run.error}`);
}

/** The comparison table: ceiling and each Vesta variant's throughput, their ratio, latency and the target. */
export function httpBenchTable(ceiling: ServerRun, variants: readonly ServerRun[]): string {
  const rows = WORKLOADS.flatMap((w) => variants.map((vesta) => {
    const c = ceiling.results[w];
    const v = vesta.results[w];
    const ratio = c && v && c.requestsPerSec > 0 ? v.requestsPerSec / c.requestsPerSec : undefined;
    const met = ratio === undefined ? 'n/a' : ratio >= TARGET_RATIOS[w] ? 'yes' : 'NO';
    return [w, vesta.name, fmt(c?.requestsPerSec), fmt(v?.requestsPerSec), fmt(ratio, 2), fmt(v?.latencyP50Ms, 2), fmt(v?.latencyP99Ms, 2), fmt(v?.cpuUsPerRequest), `>= ${TARGET_RATIOS[w]}`, met];
  }));
  return formatTable(['workload', 'server', 'ceiling req/s', 'server req/s', 'ratio', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'target ratio', 'met?'], rows);
}

function unclean(run: ServerRun): string[] {
  const problems: string[] = [];
  if (run.error) problems.push(`${run.name}: ${run.error.split('\n')[0]}`);
  for (const [w, r] of Object.entries(run.results)) {
    if (r.non2xx > 0 || r.errors > 0) problems.push(`${run.name} ${w}: ${r.non2xx} non-2xx, ${r.errors} errors ${JSON.stringify(r.statusCodes)}`);
  }
  return problems;
}

/** Runs the HTTP bench on the ceiling and (when built) Vesta, prints the table, and returns the numbers. */
export async function runHttpBench(settings: BenchSettings = loadBenchSettings()): Promise<HttpBenchResult> {
  const machine = machineInfo();
  console.log(`# HTTP bench\n${machine}`);
  console.log(
    `autocannon: ${settings.connections} connections, ${settings.durationSec} s per workload (+${settings.warmupSec} s warm-up), ` +
      `${settings.rounds} round(s) (median kept), ${settings.preload} Patients preloaded`,
  );
  const contenders: Contender[] = [ceilingSpec, ...vestaVariants()].map((spec) => ({ spec, run: { name: spec.name, results: {} } }));
  try {
    for (const c of contenders) {
      if (!isBuilt(c.spec)) {
        c.run.error = `not built (${c.spec.script})`;
        console.log(`\n[${c.spec.name}] skipped: ${c.run.error}`);
        continue;
      }
      await startAndPreload(c, settings).catch((err: unknown) => fail(c, err));
    }
    // Both servers stay up (the idle one costs nothing) so each workload is measured on both
    // back to back: drift in machine load then hits the two sides of a ratio alike.
    for (const workload of WORKLOADS) {
      const samples = new Map<Contender, LoadResult[]>();
      for (let round = 0; round < settings.rounds; round++) {
        const order = round % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          if (c.run.error) continue;
          try {
            samples.set(c, [...(samples.get(c) ?? []), await measure(c, workload, settings, round === 0)]);
          } catch (err) {
            fail(c, err);
          }
        }
      }
      for (const [c, list] of samples) c.run.results[workload] = medianRun(list);
    }
  } finally {
    await Promise.all(contenders.map((c) => c.server?.stop()));
  }
  const runs = contenders.map((c) => c.run);
  const [ceiling, ...variants] = runs as [ServerRun, ...ServerRun[]];
  console.log(`\n${httpBenchTable(ceiling, variants)}`);
  console.log(
    `preload rate (Patients/s, ${settings.connections} concurrent POSTs): ${runs.map((r) => `${r.name} ${fmt(r.preload?.perSecond)}`).join(', ')}`,
  );
  const problems = runs.flatMap(unclean);
  for (const p of problems) console.log(`PROBLEM ${p}`);
  return { settings, machine, runs, clean: problems.length === 0 };
}

// Allow `node dist/bench/http-bench.js` on its own as well as through run-all.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runHttpBench().then(
    (r) => process.exit(r.clean ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
