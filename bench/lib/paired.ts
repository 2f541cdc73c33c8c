/**
 * Two Vesta servers side by side in one run (a feature off and on), the read, search and create workloads on
 * each, rounds alternating, medians compared against targets. The authorization and audit benches are this with
 * different pairs.
 */
import type autocannon from 'autocannon';
import { ownTokens } from '../../src/auth/setup.js';
import { loadConfig } from '../../src/config.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { FHIR_JSON_HEADERS } from './fhir-headers.js';
import { Rng } from './generate.js';
import { warmAndRun, type LoadResult } from './load.js';
import { preloadPatients, type StoredPatient } from './preload.js';
import { fmt, formatTable } from './report.js';
import { startServer, type ServerHandle } from './server-process.js';
import type { BenchSettings } from './settings.js';
import { vestaSpec } from './targets.js';

export const WORKLOADS = ['read', 'search', 'create'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** BENCH_WORKLOADS=read,create runs a subset (to repeat one workload); all three by default. */
const chosen: readonly Workload[] = (() => {
  const asked = process.env.BENCH_WORKLOADS?.split(',').map((w) => w.trim()).filter(Boolean);
  return asked && asked.length > 0 ? WORKLOADS.filter((w) => asked.includes(w)) : WORKLOADS;
})();

/** One patient the workloads use: its id, an identifier to search by, and (when authorization is on) its token. */
interface Subject {
  id: string;
  identifier: string;
  token?: string;
}

/** One side of the pair: its name, its extra environment, whether requests carry patient tokens. */
export interface Side {
  name: string;
  env: Record<string, string>;
  authorized: boolean;
}

/** Per workload: the medians of both sides, and the second's throughput as a ratio of the first's. */
export interface PairedRow {
  workload: Workload;
  first?: LoadResult;
  second?: LoadResult;
  ratio?: number;
  /** Median server CPU time per request on each side (µs), and the first's over the second's: the throughput ratio a
   * CPU-bound server would show, steady while other work on the machine moves the measured one. */
  firstCpuUs?: number;
  secondCpuUs?: number;
  cpuRatio?: number;
}

/** Signs, in this process, tokens the server accepts: the same store and key file as the server's data directory. */
async function mint(server: ServerHandle, scopes: string, patients: (string | undefined)[]): Promise<string[]> {
  const config = loadConfig({ VESTA_DATA_DIR: server.dataDir, VESTA_BASE_URL: server.fhirBase, VESTA_AUTH: 'builtin', LOG_LEVEL: 'error' });
  const store = SqliteStore.open({ dataDir: server.dataDir, synchronous: 'NORMAL' });
  try {
    const { keys, tokens } = ownTokens(config, store.authState());
    await keys.ensure();
    const out: string[] = [];
    for (const patient of patients) {
      out.push((await tokens.sign({ scope: scopes, clientId: 'bench', expiresInSeconds: 3600, ...(patient ? { patient } : {}) })).token);
    }
    return out;
  } finally {
    await store.close();
  }
}

function subjectsOf(patients: StoredPatient[], tokens?: string[]): Subject[] {
  return patients.map((p, i) => {
    const id = p.resource.identifier![0]!;
    return { id: p.id, identifier: `${id.system}|${id.value}`, ...(tokens ? { token: tokens[i] } : {}) };
  });
}

/** autocannon requests for a workload, each on a random subject with that subject's token (when it has one). */
function requests(workload: Workload, subjects: Subject[], seed: number): autocannon.Request[] {
  const rng = new Rng(seed);
  const pick = (): Subject => subjects[Math.floor(rng.next() * subjects.length)]!;
  const auth = (s: Subject): Record<string, string> => (s.token ? { Authorization: `Bearer ${s.token}` } : {});
  return [{
    method: workload === 'create' ? 'POST' : 'GET',
    path: '/fhir/Patient',
    headers: workload === 'create' ? { ...FHIR_JSON_HEADERS } : { Accept: 'application/fhir+json' },
    setupRequest: (req) => {
      const s = pick();
      req.headers = { ...req.headers, ...auth(s) };
      if (workload === 'read') req.path = `/fhir/Patient/${s.id}`;
      else if (workload === 'search') req.path = `/fhir/Patient?identifier=${encodeURIComponent(s.identifier)}`;
      else {
        req.path = '/fhir/Observation';
        req.body = JSON.stringify({
          resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${s.id}` },
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, valueQuantity: { value: 60 + Math.floor(rng.next() * 40), unit: '/min' },
        });
      }
      return req;
    },
  }];
}

const median = (list: LoadResult[] = []): LoadResult | undefined =>
  [...list].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor((list.length - 1) / 2)];

/** The median of the defined numbers, undefined when there are none. */
function medianOf(values: (number | undefined)[] = []): number | undefined {
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return known.length === 0 ? undefined : known[Math.floor((known.length - 1) / 2)];
}

/**
 * Starts both sides, preloads `patients` Patients on each (minting one patient-scoped token per patient on an
 * authorized side), runs every workload on both, and returns the medians. `inspect` sees the servers before they
 * stop (to measure what they stored). `clean` is false when a server answered non-2xx or failed.
 */
export async function runPaired(
  settings: BenchSettings, patients: number, sides: [Side, Side],
  inspect?: (servers: [ServerHandle, ServerHandle]) => Promise<void>,
): Promise<{ rows: PairedRow[]; clean: boolean }> {
  const servers = await Promise.all(sides.map((s) => startServer({
    ...vestaSpec, name: s.name, env: (p, h, d) => ({ ...vestaSpec.env(p, h, d), ...s.env }),
  }))) as [ServerHandle, ServerHandle];
  let clean = true;
  try {
    const subjects = new Map<ServerHandle, Subject[]>();
    for (const [i, server] of servers.entries()) {
      if (!sides[i]!.authorized) {
        subjects.set(server, subjectsOf((await preloadPatients(server, { count: patients, concurrency: settings.connections })).patients));
        continue;
      }
      const [admin] = await mint(server, 'system/*.cruds', [undefined]);
      const loaded = await preloadPatients({ ...server, headers: { Authorization: `Bearer ${admin}` } }, { count: patients, concurrency: settings.connections });
      const tokens = await mint(server, 'patient/*.cruds launch/patient', loaded.patients.map((p) => p.id));
      subjects.set(server, subjectsOf(loaded.patients, tokens));
    }
    const results = new Map<string, LoadResult[]>();
    for (const workload of chosen) {
      for (let round = 0; round < settings.rounds; round++) {
        for (const server of round % 2 === 0 ? servers : [servers[1], servers[0]]) {
          const r = await warmAndRun(server, () => requests(workload, subjects.get(server)!, 100 + round), {
            title: `${server.name} ${workload}`, durationSec: settings.durationSec, warmupSec: round === 0 ? settings.warmupSec : 0, connections: settings.connections,
          });
          if (r.non2xx + r.errors > 0) {
            clean = false;
            console.log(`PROBLEM ${server.name} ${workload}: ${r.non2xx} non-2xx, ${r.errors} errors ${JSON.stringify(r.statusCodes)}`);
          }
          console.log(`[${server.name}] ${workload.padEnd(6)} ${fmt(r.requestsPerSec).padStart(6)} req/s  p50 ${fmt(r.latencyP50Ms, 2)} ms  p99 ${fmt(r.latencyP99Ms, 2)} ms  ` +
            `server CPU ${fmt(r.cpuUsPerRequest)} µs/req`);
          results.set(`${server.name} ${workload}`, [...(results.get(`${server.name} ${workload}`) ?? []), r]);
        }
      }
    }
    if (inspect) await inspect(servers);
    const rows = chosen.map((workload) => {
      const first = median(results.get(`${sides[0].name} ${workload}`));
      const second = median(results.get(`${sides[1].name} ${workload}`));
      const row: PairedRow = { workload };
      if (first) row.first = first;
      if (second) row.second = second;
      if (first && second) row.ratio = second.requestsPerSec / first.requestsPerSec;
      const firstCpu = medianOf(results.get(`${sides[0].name} ${workload}`)?.map((r) => r.cpuUsPerRequest));
      const secondCpu = medianOf(results.get(`${sides[1].name} ${workload}`)?.map((r) => r.cpuUsPerRequest));
      if (firstCpu !== undefined) row.firstCpuUs = firstCpu;
      if (secondCpu !== undefined) row.secondCpuUs = secondCpu;
      if (firstCpu !== undefined && secondCpu !== undefined && secondCpu > 0) row.cpuRatio = firstCpu / secondCpu;
      return row;
    });
    return { rows, clean };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** The comparison table: both sides' req/s and latencies, the ratio, the target and whether it is met. */
export function pairedTable(sides: [Side, Side], rows: PairedRow[], targets: Partial<Record<Workload, number>>): string {
  const [a, b] = sides;
  return formatTable(
    ['workload', `${a.name} req/s`, `${b.name} req/s`, 'ratio', `${a.name} p50 / p99 ms`, `${b.name} p50 / p99 ms`, 'p99 added ms',
      'server CPU µs/req', 'CPU ratio', 'target', 'met?'],
    rows.map((r) => {
      const target = targets[r.workload];
      const met = target === undefined || r.ratio === undefined || !Number.isFinite(r.ratio) ? 'n/a' : r.ratio >= target ? 'yes' : 'NO';
      const added = r.first && r.second ? r.second.latencyP99Ms - r.first.latencyP99Ms : undefined;
      return [r.workload, fmt(r.first?.requestsPerSec), fmt(r.second?.requestsPerSec), fmt(r.ratio, 2),
        `${fmt(r.first?.latencyP50Ms, 2)} / ${fmt(r.first?.latencyP99Ms, 2)}`, `${fmt(r.second?.latencyP50Ms, 2)} / ${fmt(r.second?.latencyP99Ms, 2)}`,
        fmt(added, 2), `${fmt(r.firstCpuUs)} / ${fmt(r.secondCpuUs)}`, fmt(r.cpuRatio, 2), target === undefined ? '-' : `>= ${target}`, met];
    }),
  );
}
