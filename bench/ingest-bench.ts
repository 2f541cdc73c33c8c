import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { httpRequest } from './lib/http-request.js';
import { fmt, formatTable, machineInfo } from './lib/report.js';
import { startServer } from './lib/server-process.js';
import { isBuilt, vestaVariants } from './lib/targets.js';
import type { ServerSpec } from './lib/server-process.js';
import { SYNTHEA_DIR } from '../test/support/shared-data.js';

/** One measured ingest run. */
export interface IngestResult {
  server: string;
  clients: number;
  bundles: number;
  resources: number;
  seconds: number;
  resourcesPerSec: number;
  bundlesPerSec: number;
  reads: number;
  readP50Ms: number;
  readP99Ms: number;
}

/** Options of the ingest benchmark. */
export interface IngestOptions {
  /** Directory of Synthea transaction Bundles (`../shared/data/synthea` beside the repository by default, or `BENCH_SYNTHEA_DIR`). */
  dir?: string;
  /** Concurrent ingest clients per run (1, 2 and 4 by default). */
  clients?: number[];
}

const JSON_HEADERS = { 'Content-Type': 'application/fhir+json', Prefer: 'return=minimal' };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Ingests every Bundle with `clients` concurrent senders into a fresh server while one reader reads Patients. */
async function runOnce(spec: ServerSpec, texts: string[], clients: number): Promise<IngestResult> {
  const server = await startServer(spec);
  try {
    const seed = await httpRequest(`${server.fhirBase}/Patient`, { method: 'POST', headers: JSON_HEADERS, body: '{"resourceType":"Patient"}' });
    const patientIds = [/\/Patient\/([^/]+)\//.exec(String(seed.headers.location))![1]];
    let next = 0;
    let resources = 0;
    let done = false;
    const sender = async (): Promise<void> => {
      while (next < texts.length) {
        const text = texts[next++];
        const res = await httpRequest(server.fhirBase, { method: 'POST', headers: JSON_HEADERS, body: text, timeoutMs: 300_000 });
        if (res.status !== 200) throw new Error(`transaction failed with ${res.status}: ${res.text.slice(0, 300)}`);
        const body = JSON.parse(res.text) as { entry: { response: { location?: string } }[] };
        resources += body.entry.length;
        for (const e of body.entry) {
          const m = /\/Patient\/([^/]+)\/_history/.exec(e.response.location ?? '');
          if (m) patientIds.push(m[1]);
        }
      }
    };
    const latencies: number[] = [];
    const reader = async (): Promise<void> => {
      let i = 0;
      while (!done) {
        const id = patientIds[i++ % patientIds.length];
        const t0 = performance.now();
        const res = await httpRequest(`${server.fhirBase}/Patient/${id}`);
        latencies.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`read failed with ${res.status}`);
      }
    };
    const started = performance.now();
    const reading = reader();
    await Promise.all(Array.from({ length: clients }, () => sender())).finally(() => {
      done = true;
    });
    const seconds = (performance.now() - started) / 1000;
    await reading;
    latencies.sort((a, b) => a - b);
    return {
      server: spec.name, clients, bundles: texts.length, resources, seconds,
      resourcesPerSec: resources / seconds, bundlesPerSec: texts.length / seconds,
      reads: latencies.length, readP50Ms: percentile(latencies, 50), readP99Ms: percentile(latencies, 99),
    };
  } finally {
    await server.stop();
  }
}

/**
 * Ingests the Synthea transaction Bundles into a fresh embedded store with 1, 2 and 4 concurrent clients
 * (Vesta as `node dist/src/main.js`, SQLite synchronous=FULL), measuring resources/s, bundles/s and the
 * latency of simple reads (`GET Patient/{id}`) running at the same time.
 */
export async function runIngestBench(opts: IngestOptions = {}): Promise<IngestResult[]> {
  const dir = opts.dir ?? process.env.BENCH_SYNTHEA_DIR ?? SYNTHEA_DIR;
  if (!fs.existsSync(dir)) throw new Error(`${dir} is absent; the ingest bench needs the Synthea Bundles`);
  const variants = vestaVariants();
  if (!variants.every(isBuilt)) throw new Error('build first: npx tsc -p tsconfig.json');
  const texts = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
  const results: IngestResult[] = [];
  for (const [i, clients] of (opts.clients ?? [1, 2, 4]).entries()) {
    // Variants take turns going first, so drift in machine load hits them alike.
    const order = i % 2 === 0 ? variants : [...variants].reverse();
    for (const spec of order) results.push(await runOnce(spec, texts, clients));
  }
  return results;
}

/** The results as a Markdown table. */
export function ingestTable(results: IngestResult[]): string {
  return formatTable(
    ['server', 'clients', 'resources', 'seconds', 'resources/s', 'bundles/s', 'reads during ingest', 'read p50 ms', 'read p99 ms'],
    results.map((r) => [
      r.server, String(r.clients), String(r.resources), fmt(r.seconds, 1), fmt(r.resourcesPerSec), fmt(r.bundlesPerSec, 1),
      String(r.reads), fmt(r.readP50Ms, 1), fmt(r.readP99Ms, 1),
    ]),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await runIngestBench();
  console.log(`Synthea transaction ingest — ${machineInfo()}`);
  console.log(ingestTable(results));
}
