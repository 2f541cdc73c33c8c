/**
 * Audit bench (issue 13): the read, search and create workloads with SMART authorization on in both servers (one
 * patient-scoped token per patient), one with the audit trail off (`VESTA_AUDIT=off`) and one with it on (every
 * request appends a hash-chained record in the same group commit as the data, synced before the response), in one
 * run, rounds alternating. Then what the trail cost on disk per event, and how fast `vesta audit verify` walks it.
 * Targets: audited reads >= 0.5x (aim 0.7x), searches >= 0.6x, creates >= 0.8x of unaudited ones.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/audit-bench.js` (BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS,
 * BENCH_CONNECTIONS, BENCH_AUDIT_PATIENTS = patients preloaded and tokens minted, default 1000).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { pairedTable, runPaired, type Side } from './lib/paired.js';
import { fmt, machineInfo } from './lib/report.js';
import type { ServerHandle } from './lib/server-process.js';
import { loadBenchSettings } from './lib/settings.js';
import { repoRoot } from './lib/targets.js';

const TARGETS = { read: 0.5, search: 0.6, create: 0.8 };

/** Bytes the trail's tables and indexes take per record (SQLite's dbstat), and the record count. */
function storagePerEvent(dataDir: string): { records: number; bytes: number } {
  const db = new Database(path.join(dataDir, 'vesta.sqlite'), { readonly: true });
  try {
    const records = (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
    const bytes = (db.prepare(`SELECT sum(pgsize) AS b FROM dbstat WHERE name LIKE 'audit_%' OR name IN (
      SELECT name FROM sqlite_master WHERE tbl_name LIKE 'audit_%')`).get() as { b: number }).b;
    return { records, bytes };
  } finally {
    db.close();
  }
}

/** `vesta audit verify --json` on the server's data, as an operator runs it while the server is up. */
async function verify(server: ServerHandle): Promise<{ intact: boolean; checked: number; ms: number; eventsPerSecond?: number }> {
  const cli = path.join(repoRoot, 'dist/src/cli/vesta.js');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'audit', 'verify', '--json'], {
    env: { PATH: process.env.PATH ?? '', VESTA_DATA_DIR: server.dataDir, VESTA_BASE_URL: server.fhirBase, VESTA_AUTH: 'builtin', LOG_LEVEL: 'error' },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as { intact: boolean; checked: number; ms: number; eventsPerSecond?: number };
}

/** Runs the bench and prints the tables; resolves false when a server failed, answered non-2xx or the chain broke. */
export async function runAuditBench(): Promise<boolean> {
  const settings = loadBenchSettings();
  const patients = Number(process.env.BENCH_AUDIT_PATIENTS ?? 1000);
  console.log(`# Audit bench\n${machineInfo()}\nautocannon: ${settings.connections} connections, ${settings.durationSec} s per run ` +
    `(+${settings.warmupSec} s warm-up), ${settings.rounds} rounds alternating (median kept); ${patients} patients, one patient-scoped token each; authorization on in both`);
  const sides: [Side, Side] = [
    { name: 'unaudited', env: { VESTA_AUTH: 'builtin', VESTA_AUDIT: 'off' }, authorized: true },
    { name: 'audited', env: { VESTA_AUTH: 'builtin' }, authorized: true },
  ];
  let storage: { records: number; bytes: number } | undefined;
  let report: Awaited<ReturnType<typeof verify>> | undefined;
  const { rows, clean } = await runPaired(settings, patients, sides, async ([, audited]) => {
    storage = storagePerEvent(audited.dataDir);
    report = await verify(audited);
  });
  console.log(`\n${pairedTable(sides, rows, TARGETS)}`);
  for (const r of rows) if (r.second) console.log(`audited ${r.workload}: ${fmt(r.second.requestsPerSec)} AuditEvents/s (one per request)`);
  if (storage) console.log(`audit storage: ${storage.records} records, ${fmt(storage.bytes / Math.max(1, storage.records))} bytes per event (tables and indexes)`);
  if (report) console.log(`audit verify: ${report.checked} records in ${fmt(report.ms)} ms = ${fmt(report.eventsPerSecond)} events/s, ${report.intact ? 'intact' : 'BROKEN'}`);
  return clean && report?.intact === true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runAuditBench().then((clean) => process.exit(clean ? 0 : 1), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
