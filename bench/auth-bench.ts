/**
 * Authorization bench (issue 11): the read, search and create workloads on an open server (`VESTA_AUTH=off`) and on
 * one with SMART authorization (`VESTA_AUTH=builtin`) where every request carries a valid patient-scoped token (one
 * token per patient, so the verified-token cache holds as many tokens as there are patients), in one run, rounds
 * alternating. Audit is off on both, so the ratio is authorization's alone. Targets: authorized reads >= 0.85x and
 * searches >= 0.8x of open ones.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/auth-bench.js` (BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS,
 * BENCH_CONNECTIONS, BENCH_AUTH_PATIENTS = patients preloaded and tokens minted, default 1000).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pairedTable, runPaired, type Side } from './lib/paired.js';
import { machineInfo } from './lib/report.js';
import { loadBenchSettings } from './lib/settings.js';

const TARGETS = { read: 0.85, search: 0.8 };

/** Runs the bench and prints the table; resolves false when a server failed or answered non-2xx. */
export async function runAuthBench(): Promise<boolean> {
  const settings = loadBenchSettings();
  const patients = Number(process.env.BENCH_AUTH_PATIENTS ?? 1000);
  console.log(`# Authorization bench\n${machineInfo()}\nautocannon: ${settings.connections} connections, ${settings.durationSec} s per run ` +
    `(+${settings.warmupSec} s warm-up), ${settings.rounds} rounds alternating (median kept); ${patients} patients, one patient-scoped token each`);
  const sides: [Side, Side] = [
    { name: 'open', env: { VESTA_AUDIT: 'off' }, authorized: false },
    { name: 'authorized', env: { VESTA_AUTH: 'builtin', VESTA_AUDIT: 'off' }, authorized: true },
  ];
  const { rows, clean } = await runPaired(settings, patients, sides);
  console.log(`\n${pairedTable(sides, rows, TARGETS)}`);
  return clean;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runAuthBench().then((clean) => process.exit(clean ? 0 : 1), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
