/**
 * Authorization bench (issue 11): the read, search and create workloads on an open server (`VESTA_AUTH=off`) and on
 * one with SMART authorization (`VESTA_AUTH=builtin`) where every request carries a valid patient-scoped token (one
 * token per patient, so the verified-token cache holds as many tokens as there are patients), in one run, rounds
 * alternating. Targets: authorized reads >= 0.85x and searches >= 0.8x of open ones.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/auth-bench.js` (BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS,
 * BENCH_CONNECTIONS, BENCH_AUTH_PATIENTS = patients preloaded and tokens minted, default 1000).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import { ownTokens } from '../src/auth/setup.js';
import { loadConfig } from '../src/config.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { FHIR_JSON_HEADERS } from './lib/fhir-headers.js';
import { Rng } from './lib/generate.js';
import { warmAndRun, type LoadResult } from './lib/load.js';
import { preloadPatients, type StoredPatient } from './lib/preload.js';
import { fmt, formatTable, machineInfo } from './lib/report.js';
import { startServer, type ServerHandle } from './lib/server-process.js';
import { loadBenchSettings } from './lib/settings.js';
import { vestaSpec } from './lib/targets.js';

const TARGETS: Record<Workload, number | undefined> = { read: 0.85, search: 0.8, create: undefined };
const WORKLOADS = ['read', 'search', 'create'] as const;
type Workload = (typeof WORKLOADS)[number];

/** One patient the workloads use: its id, an identifier to search by, and (on the authorized server) its token. */
interface Subject {
  id: string;
  identifier: string;
  token?: string;
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

/** Runs the bench and prints the table; resolves false when a server failed or answered non-2xx. */
export async function runAuthBench(): Promise<boolean> {
  const settings = loadBenchSettings();
  const patients = Number(process.env.BENCH_AUTH_PATIENTS ?? 1000);
  console.log(`# Authorization bench\n${machineInfo()}\nautocannon: ${settings.connections} connections, ${settings.durationSec} s per run ` +
    `(+${settings.warmupSec} s warm-up), ${settings.rounds} rounds alternating (median kept); ${patients} patients, one patient-scoped token each`);
  const open = await startServer({ ...vestaSpec, name: 'open' });
  const authd = await startServer({ ...vestaSpec, name: 'authorized', env: (p, h, d) => ({ ...vestaSpec.env(p, h, d), VESTA_AUTH: 'builtin' }) });
  let clean = true;
  try {
    const [admin] = await mint(authd, 'system/*.cruds', [undefined]);
    const preloadedOpen = await preloadPatients(open, { count: patients, concurrency: settings.connections });
    const preloadedAuth = await preloadPatients({ ...authd, headers: { Authorization: `Bearer ${admin}` } }, { count: patients, concurrency: settings.connections });
    const tokens = await mint(authd, 'patient/*.cruds launch/patient', preloadedAuth.patients.map((p) => p.id));
    const subjects = new Map<ServerHandle, Subject[]>([[open, subjectsOf(preloadedOpen.patients)], [authd, subjectsOf(preloadedAuth.patients, tokens)]]);
    const results = new Map<string, LoadResult[]>();
    for (const workload of WORKLOADS) {
      for (let round = 0; round < settings.rounds; round++) {
        for (const server of round % 2 === 0 ? [open, authd] : [authd, open]) {
          const r = await warmAndRun(server, () => requests(workload, subjects.get(server)!, 100 + round), {
            title: `${server.name} ${workload}`, durationSec: settings.durationSec, warmupSec: round === 0 ? settings.warmupSec : 0, connections: settings.connections,
          });
          if (r.non2xx + r.errors > 0) {
            clean = false;
            console.log(`PROBLEM ${server.name} ${workload}: ${r.non2xx} non-2xx, ${r.errors} errors ${JSON.stringify(r.statusCodes)}`);
          }
          console.log(`[${server.name}] ${workload.padEnd(6)} ${fmt(r.requestsPerSec).padStart(6)} req/s  p50 ${fmt(r.latencyP50Ms, 2)} ms  p99 ${fmt(r.latencyP99Ms, 2)} ms`);
          results.set(`${server.name} ${workload}`, [...(results.get(`${server.name} ${workload}`) ?? []), r]);
        }
      }
    }
    const median = (list: LoadResult[] = []): LoadResult | undefined => [...list].sort((a, b) => a.requestsPerSec - b.requestsPerSec)[Math.floor((list.length - 1) / 2)];
    const rows = WORKLOADS.map((w) => {
      const o = median(results.get(`open ${w}`));
      const a = median(results.get(`authorized ${w}`));
      const ratio = o && a ? a.requestsPerSec / o.requestsPerSec : undefined;
      const target = TARGETS[w];
      const met = target === undefined || ratio === undefined ? 'n/a' : ratio >= target ? 'yes' : 'NO';
      return [w, fmt(o?.requestsPerSec), fmt(a?.requestsPerSec), fmt(ratio, 2), `${fmt(o?.latencyP50Ms, 2)} / ${fmt(o?.latencyP99Ms, 2)}`,
        `${fmt(a?.latencyP50Ms, 2)} / ${fmt(a?.latencyP99Ms, 2)}`, target === undefined ? '-' : `>= ${target}`, met];
    });
    console.log(`\n${formatTable(['workload', 'open req/s', 'authorized req/s', 'ratio', 'open p50 / p99 ms', 'authorized p50 / p99 ms', 'target', 'met?'], rows)}`);
  } finally {
    await Promise.all([open.stop(), authd.stop()]);
  }
  return clean;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runAuthBench().then((clean) => process.exit(clean ? 0 : 1), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
