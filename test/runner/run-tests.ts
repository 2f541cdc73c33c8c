/**
 * `npm test`: the whole suite once (SQLite for the end-to-end files; the store contract, search oracle, write steps
 * and audit trail also on the MongoDB-wire test servers, which those files start themselves), then the HTTP
 * end-to-end files again on each MongoDB store that can be had here, each run through `node --test` so it counts
 * its own tests. At the end: the counts of every run and its skips grouped by reason (the skips by capability).
 *
 * MongoDB stores: with MONGODB_URI set, that server (any MongoDB, a real replica set included); else both test
 * servers (test/mongo-server), when they can be built or are cached on this machine; a server that cannot be had is
 * named with the reason and how to get it, and its run is left out (not failed).
 *
 * VESTA_TEST_STORE set by the caller keeps the old behaviour: one run of every file on that store.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildMongoTestServer, MONGO_TEST_SERVER_KINDS } from '../mongo-server/test-server.js';
import type { RunSummary } from './summary-reporter.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST_TEST = path.resolve(here, '..');
const REPORTER = pathToFileURL(path.join(here, 'summary-reporter.js')).href;

/**
 * End-to-end files not repeated per MongoDB store, with why: they start Vesta as a child process on a SQLite data
 * directory of their own (crash, shutdown and CLI tests), so they test SQLite whatever VESTA_TEST_STORE says.
 */
export const SQLITE_PROCESS_FILES: readonly string[] = [
  'audit-crash.test.js', 'authz-cli.test.js', 'crash-durability.test.js', 'examples-roundtrip.test.js', 'large-body-stall.test.js',
  'seed-cli.test.js', 'shutdown-flush.test.js', 'shutdown.test.js', 'smart-cli.test.js',
];

/**
 * Files that bound how long the server may keep a request waiting (`/healthz` while a 15 MB body is processed), run
 * on their own after the others: with another test file beside them, that file's disk traffic can hold an fsync on
 * the server's main thread (SQLite syncs a restarted WAL's header at the next commit) for most of a second, which is
 * the machine's load, not a stall of the server's own making. Seen twice in CI beside ../shared (1,096 and 639 ms
 * against a bound of 500; 46–304 ms otherwise).
 */
export const ALONE_FILES: readonly string[] = ['large-body-stall.test.js'];

/**
 * End-to-end files not repeated on one kind of store, with why: the Synthea/US Core data cases (about 2,200
 * resources loaded over HTTP, then searched) take over ten minutes on FerretDB, whose every search filter reads the
 * whole collection; they run on SQLite and on mongo-java-server, and on FerretDB by hand
 * (`VESTA_TEST_STORE=ferretdb node --test dist/test/e2e/us-core-search.test.js`).
 */
export const NOT_REPEATED_ON: Readonly<Record<string, readonly string[]>> = {
  ferretdb: ['bundle-synthea.test.js', 'us-core-search.test.js'],
};

interface Run {
  label: string;
  files: string[];
  env: NodeJS.ProcessEnv;
  /** Test files run at once (node --test --test-concurrency); 2 unless said. */
  concurrency?: number;
}

interface Outcome {
  label: string;
  files: number;
  code: number;
  seconds: number;
  summary: RunSummary | undefined;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return testFiles(full);
    return d.name.endsWith('.test.js') ? [full] : [];
  }).sort();
}

function runNodeTest(run: Run, summaryFile: string): Promise<number> {
  const args = [
    '--test', `--test-concurrency=${run.concurrency ?? 2}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${REPORTER}`, `--test-reporter-destination=${summaryFile}`,
    ...run.files,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: run.env });
    child.once('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function execute(run: Run, scratch: string, n: number): Promise<Outcome> {
  process.stdout.write(`\n=== ${run.label}: ${run.files.length} files ===\n`);
  const summaryFile = path.join(scratch, `summary-${n}.json`);
  const started = Date.now();
  const code = await runNodeTest(run, summaryFile);
  let summary: RunSummary | undefined;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
  } catch {
    summary = undefined;
  }
  return { label: run.label, files: run.files.length, code, seconds: (Date.now() - started) / 1000, summary };
}

/** The MongoDB stores to repeat the end-to-end files on, and the ones that cannot be had here (with why). */
async function mongoRuns(e2e: string[]): Promise<{ runs: Run[]; missing: string[] }> {
  const base = { ...process.env };
  if (process.env['MONGODB_URI']) {
    return { runs: [{ label: 'end-to-end on MongoDB (MONGODB_URI)', files: e2e, env: { ...base, VESTA_TEST_STORE: 'mongodb' } }], missing: [] };
  }
  const runs: Run[] = [];
  const missing: string[] = [];
  for (const kind of MONGO_TEST_SERVER_KINDS) {
    try {
      await buildMongoTestServer(kind, { buildLog: (line) => void process.stderr.write(`[${kind} build] ${line}\n`) });
      const left = NOT_REPEATED_ON[kind] ?? [];
      runs.push({ label: `end-to-end on ${kind}`, files: e2e.filter((f) => !left.includes(path.basename(f))), env: { ...base, VESTA_TEST_STORE: kind } });
    } catch (err) {
      missing.push(`${kind}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { runs, missing };
}

function report(outcomes: Outcome[], missing: string[]): void {
  const out: string[] = ['', '=== summary of every run ==='];
  for (const o of outcomes) {
    const c = o.summary?.counts ?? {};
    const counts = o.summary
      ? `tests ${c['tests'] ?? 0}, pass ${c['pass'] ?? 0}, fail ${c['fail'] ?? 0}, cancelled ${c['cancelled'] ?? 0}, skipped ${c['skipped'] ?? 0}`
      : 'no summary (the run did not finish)';
    out.push(`${o.code === 0 ? 'ok  ' : 'FAIL'} ${o.label} (${o.files} files, ${o.seconds.toFixed(0)} s): ${counts}`);
  }
  for (const o of outcomes) {
    const skips = Object.entries(o.summary?.skips ?? {}).sort((a, b) => b[1].tests + b[1].suites - a[1].tests - a[1].suites);
    if (skips.length === 0) continue;
    const tests = skips.reduce((s, [, k]) => s + k.tests, 0);
    const suites = skips.reduce((s, [, k]) => s + k.suites, 0);
    out.push('', `skipped in ${o.label}: ${tests} tests and ${suites} whole suites, by reason:`);
    for (const [reason, k] of skips) out.push(`  ${String(k.tests).padStart(4)} tests, ${String(k.suites).padStart(2)} suites: ${reason}`);
  }
  if (outcomes.length > 1) {
    out.push('', `not repeated per MongoDB store (they start Vesta as a child process on a SQLite data directory): ${SQLITE_PROCESS_FILES.join(', ')}`);
    for (const [kind, files] of Object.entries(NOT_REPEATED_ON)) {
      if (outcomes.some((o) => o.label.endsWith(kind))) out.push(`not repeated on ${kind} (Synthea data cases, over ten minutes there; see run-tests.ts): ${files.join(', ')}`);
    }
  }
  if (missing.length > 0) {
    out.push('', 'MongoDB end-to-end runs left out: no test server could be built here:');
    for (const m of missing) out.push(`  ${m}`);
    out.push('  Install Java 17+ and Maven (mongo-java-server) and Go 1.24+ (ferretdb), see test/mongo-server/README.md,',
      '  or run the MongoDB suites against any MongoDB: MONGODB_URI=mongodb://host:port/ npm test');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const all = testFiles(DIST_TEST);
  const scratch = mkdtempSync(path.join(tmpdir(), 'vesta-test-runs-'));
  const outcomes: Outcome[] = [];
  let missing: string[] = [];
  try {
    if (process.env['VESTA_TEST_STORE']) {
      outcomes.push(await execute({ label: `every file, end-to-end on ${process.env['VESTA_TEST_STORE']}`, files: all, env: process.env }, scratch, 0));
    } else {
      const sqliteEnv = { ...process.env };
      const alone = all.filter((f) => ALONE_FILES.includes(path.basename(f)));
      const together = all.filter((f) => !alone.includes(f));
      outcomes.push(await execute({ label: 'every other file, end-to-end on SQLite', files: together, env: sqliteEnv }, scratch, 0));
      if (alone.length > 0) {
        outcomes.push(await execute({ label: 'timing-bound files on SQLite, alone', files: alone, env: sqliteEnv, concurrency: 1 }, scratch, 100));
      }
      const e2eDir = path.join(DIST_TEST, 'e2e');
      const e2e = testFiles(e2eDir).filter((f) => path.dirname(f) !== e2eDir || !SQLITE_PROCESS_FILES.includes(path.basename(f)));
      const found = await mongoRuns(e2e);
      missing = found.missing;
      for (const [i, run] of found.runs.entries()) outcomes.push(await execute(run, scratch, i + 1));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  report(outcomes, missing);
  process.exitCode = outcomes.every((o) => o.code === 0 && o.summary !== undefined) ? 0 : 1;
}

await main();
