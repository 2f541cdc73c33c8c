/// <reference types="fhir" />
/**
 * Seeds a search-bench population into a SQLite data dir through the real write path (`createApp().deps.resources`:
 * validation, meta stamping, index extraction, compare-and-set), in store transactions of `batchSize` resources.
 * HTTP is left out on purpose: this is the bulk-ingest path and the bench measures search, not POST.
 * A finished seed leaves a marker file; later runs reuse the database unless re-seeding is forced, and an
 * interrupted seed resumes after its last committed batch.
 *
 * Run directly: `node dist/bench/search/seed.js <patients> [--reseed]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { DEFAULT_SEED, GENERATOR_VERSION, population, populationSize } from '../../src/sample/population.js';

/** Where seeded databases live unless `BENCH_SEARCH_DIR` says otherwise (never inside the repository). */
export const SEARCH_DATA_ROOT = process.env.BENCH_SEARCH_DIR?.trim() || path.join(os.tmpdir(), 'vesta-search-bench');
const MARKER = 'seed-complete.json';
const LOCK = 'seeding.pid';
const PROGRESS = 'seed-progress.json';

/** Refuses to wipe a data dir that another live process is seeding right now (a second bench run would destroy it). */
function assertNotBeingSeeded(dataDir: string): void {
  const lock = path.join(dataDir, LOCK);
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lock, 'utf8').trim());
  } catch {
    return;
  }
  try {
    process.kill(pid, 0);
  } catch {
    return; // the seeding process is gone; its half-written database may be replaced
  }
  throw new Error(`${dataDir} is being seeded by process ${pid}; wait for it to finish`);
}

/** What the marker file of a finished seed records. */
export interface SeedInfo {
  generatorVersion: number;
  seed: number;
  patients: number;
  resources: number;
  seconds: number;
  resourcesPerSec: number;
  synchronous: 'NORMAL';
  batchSize: number;
  finishedAt: string;
  /** Set when this seed resumed an interrupted one: resources committed before; `seconds` covers the rest only. */
  resumedAfter?: number;
}

/** A seeded data dir, ready for a server, with its size on disk. */
export interface SeededPopulation {
  dataDir: string;
  info: SeedInfo;
  /** True when an earlier complete seed was reused. */
  reused: boolean;
  /** vesta.sqlite and vesta.sqlite-wal sizes in bytes, measured now. */
  dbBytes: number;
  walBytes: number;
}

/** Options of {@link ensureSeeded}. */
export interface SeedOptions {
  patients: number;
  seed?: number;
  /** Discard any existing database and seed again. */
  force?: boolean;
  /** Resources per store transaction (default 500). */
  batchSize?: number;
  root?: string;
  log?: (line: string) => void;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readMarker(dataDir: string): SeedInfo | undefined {
  return readJson<SeedInfo>(path.join(dataDir, MARKER));
}

/** What an unfinished seed was writing; a resumed seed must match it exactly. */
interface SeedProgress {
  generatorVersion: number;
  seed: number;
  patients: number;
  batchSize: number;
}

function sameProgress(a: SeedProgress | undefined, b: SeedProgress): boolean {
  return a !== undefined && a.generatorVersion === b.generatorVersion && a.seed === b.seed &&
    a.patients === b.patients && a.batchSize === b.batchSize;
}

/** Resources already committed: batches commit atomically in generator order, so this is an exact prefix. */
function committedCount(dataDir: string): number {
  const file = path.join(dataDir, 'vesta.sqlite');
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM resources').get() as { n: number }).n;
  } catch {
    return 0; // no schema yet
  } finally {
    db.close();
  }
}

/** The data dir of a population; the generator version is part of the name so stale data is never picked up. */
export function populationDir(patients: number, seed = DEFAULT_SEED, root = SEARCH_DATA_ROOT): string {
  return path.join(root, `p${patients}-s${seed}-g${GENERATOR_VERSION}`);
}

/** Returns a complete seeded population, seeding it first when missing, incomplete or `force`d. */
export async function ensureSeeded(opts: SeedOptions): Promise<SeededPopulation> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const dataDir = populationDir(opts.patients, seed, opts.root);
  const log = opts.log ?? ((line: string) => console.log(line));
  const existing = readMarker(dataDir);
  const usable = existing !== undefined && !opts.force && existing.patients === opts.patients &&
    existing.seed === seed && existing.generatorVersion === GENERATOR_VERSION;
  let info: SeedInfo;
  if (usable) {
    info = existing;
    log(`reusing seeded population ${dataDir} (${info.resources} resources; pass --reseed or BENCH_RESEED=1 to rebuild)`);
  } else {
    assertNotBeingSeeded(dataDir);
    const batchSize = opts.batchSize ?? 500;
    const progress: SeedProgress = { generatorVersion: GENERATOR_VERSION, seed, patients: opts.patients, batchSize };
    // An interrupted seed of the same population resumes where it stopped; anything else starts from scratch.
    const resume = !opts.force && sameProgress(readJson<SeedProgress>(path.join(dataDir, PROGRESS)), progress);
    if (!resume) fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, PROGRESS), `${JSON.stringify(progress)}\n`);
    const lock = path.join(dataDir, LOCK);
    fs.writeFileSync(lock, String(process.pid));
    try {
      info = await seedInto(dataDir, opts.patients, seed, batchSize, log);
      fs.writeFileSync(path.join(dataDir, MARKER), `${JSON.stringify(info, null, 2)}\n`);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
  const db = path.join(dataDir, 'vesta.sqlite');
  return { dataDir, info, reused: usable, dbBytes: fileSize(db), walBytes: fileSize(`${db}-wal`) };
}

async function seedInto(dataDir: string, patients: number, seed: number, batchSize: number, log: (l: string) => void): Promise<SeedInfo> {
  const total = populationSize(patients);
  const already = committedCount(dataDir);
  if (already > 0) log(`resuming an interrupted seed after ${already} committed resources`);
  log(`seeding ${patients} Patients (${total} resources) into ${dataDir}: in-process ResourceService.update ` +
    `(validation + index extraction), ${batchSize} resources per store.transaction, SQLite synchronous=NORMAL`);
  const config = loadConfig({ VESTA_DATA_DIR: dataDir, LOG_LEVEL: 'warn', VESTA_SQLITE_SYNC: 'NORMAL' });
  // NORMAL skips the fsync per commit: bulk loads are re-runnable, so losing the tail on power loss is acceptable here.
  const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL' });
  try {
    const app = createApp({ config, store, authState: store.authState(), log: createLogger('warn', true) });
    await app.ready;
    const started = performance.now();
    let written = 0;
    let skipped = 0;
    let lastReport = started;
    let batch: fhir4.Resource[] = [];
    const flush = async (): Promise<void> => {
      const items = batch;
      batch = [];
      await store.transaction(async (tx) => {
        const service = app.deps.resources.withStore(tx);
        // Client-assigned ids (update-as-create) make every id predictable for the query workloads.
        for (const r of items) await service.update(r.resourceType, r.id!, r);
      });
      written += items.length;
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        const rate = written / ((now - started) / 1000);
        log(`  ${already + written}/${total} resources, ${rate.toFixed(0)}/s, ~${((total - already - written) / rate).toFixed(0)} s left`);
      }
    };
    for (const resource of population(seed, patients)) {
      if (skipped < already) {
        skipped++;
        continue;
      }
      batch.push(resource);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    const seconds = (performance.now() - started) / 1000;
    return {
      // A resumed seed reports the speed of its own part; the count is the whole population.
      generatorVersion: GENERATOR_VERSION, seed, patients, resources: already + written, seconds,
      resourcesPerSec: written / seconds, synchronous: 'NORMAL', batchSize, finishedAt: new Date().toISOString(),
      ...(already > 0 ? { resumedAfter: already } : {}),
    };
  } finally {
    await store.close();
  }
}

/** One line describing a seeded population for the report. */
export function describeSeed(p: SeededPopulation): string {
  const mib = (n: number): string => (n / 1024 ** 2).toFixed(1);
  const part = p.info.resumedAfter === undefined ? '' : ` (resumed after ${p.info.resumedAfter}; time is for the remaining ${p.info.resources - p.info.resumedAfter})`;
  return `${p.info.resources} resources (${p.info.patients} Patients), seeded ${p.reused ? 'earlier ' : ''}in ` +
    `${p.info.seconds.toFixed(1)} s${part} = ${p.info.resourcesPerSec.toFixed(0)} resources/s ` +
    `(in-process, ${p.info.batchSize}/transaction, synchronous=NORMAL); ` +
    `vesta.sqlite ${mib(p.dbBytes)} MiB + -wal ${mib(p.walBytes)} MiB`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const patients = Number(args.find((a) => /^\d+$/.test(a)) ?? 5000);
  const force = args.includes('--reseed') || process.env.BENCH_RESEED === '1';
  const p = await ensureSeeded({ patients, force });
  console.log(describeSeed(p));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
