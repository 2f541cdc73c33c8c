/**
 * Runs every Vesta bench: `npm run bench` (builds, then `node dist/bench/run-all.js`).
 *
 * 1. HTTP CRUD (bench/http-bench.ts): starts the bare Express + better-sqlite3 ceiling
 *    (dist/bench/ceiling-server.js) and then Vesta (dist/src/main.js), each on a free port with
 *    a temp data dir and SQLite synchronous=FULL, preloads 10,000 generated Patients and runs
 *    autocannon (16 connections) for create (POST), read (GET by id) and update (PUT + If-Match).
 *    Both servers stay up; each workload runs on one then the other, BENCH_ROUNDS times with the
 *    order alternating, and the median round is kept: durable writes are bound by fsync latency,
 *    which swings several-fold on a shared disk, so single runs make noisy ratios.
 *    Targets, as Vesta/ceiling req/s: read >= 0.6, create >= 0.4, update >= 0.35; every
 *    response must be 2xx.
 * 2. Validation (bench/validation-bench.ts, when built): microseconds per validated resource.
 * 3. Authorization (bench/auth-bench.ts): read, search and create open and with a patient-scoped token.
 * 4. Audit (bench/audit-bench.ts): the same with the audit trail off and on (authorization on in both), bytes per
 *    AuditEvent and `vesta audit verify` speed.
 *
 * Environment: BENCH_DURATION (s per measured run, default 10), BENCH_WARMUP (s, default 2),
 * BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 16), BENCH_PRELOAD (default 10000).
 * Takes about 12 minutes with the defaults. `node dist/bench/http-bench.js` runs the HTTP part alone.
 * Exit code 1 when a server failed or answered non-2xx; unmet targets are reported, not fatal,
 * because absolute numbers depend on the machine.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runAuditBench } from './audit-bench.js';
import { runAuthBench } from './auth-bench.js';
import { runHttpBench } from './http-bench.js';
import { fmt, formatTable } from './lib/report.js';

interface ValidationRow {
  name: string;
  usMean: number;
  usP50: number;
  usP99: number;
}

function isValidationRow(x: unknown): x is ValidationRow {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r.name === 'string' && ['usMean', 'usP50', 'usP99'].every((k) => typeof r[k] === 'number');
}

/** Runs the validation bench if another engineer's module is built; true when it ran or is absent. */
async function runValidationIfBuilt(): Promise<boolean> {
  const url = new URL('./validation-bench.js', import.meta.url);
  if (!fs.existsSync(fileURLToPath(url))) {
    console.log('\n# Validation bench\nskipped: dist/bench/validation-bench.js not built');
    return true;
  }
  const mod = (await import(url.href)) as { runValidationBench?: unknown };
  if (typeof mod.runValidationBench !== 'function') {
    console.log('\n# Validation bench\nFAILED: validation-bench.js exports no runValidationBench()');
    return false;
  }
  console.log('\n# Validation bench');
  const rows: unknown = await (mod.runValidationBench as () => unknown)();
  if (!Array.isArray(rows) || !rows.every(isValidationRow)) {
    console.log('FAILED: runValidationBench() did not return {name, usMean, usP50, usP99}[]');
    return false;
  }
  console.log(formatTable(['case', 'mean µs', 'p50 µs', 'p99 µs'], rows.map((r) => [r.name, fmt(r.usMean, 1), fmt(r.usP50, 1), fmt(r.usP99, 1)])));
  return true;
}

async function main(): Promise<number> {
  const http = await runHttpBench();
  let validationOk = false;
  try {
    validationOk = await runValidationIfBuilt();
  } catch (err) {
    console.error('validation bench failed:', err);
  }
  // What authorization and audit cost, each off and on side by side (issues 11 and 13).
  console.log('');
  const authOk = await runAuthBench();
  console.log('');
  const auditOk = await runAuditBench();
  return http.clean && validationOk && authOk && auditOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
