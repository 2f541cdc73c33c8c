/**
 * Store-level workloads on SQLite and on each MongoDB-wire test server in one run, as a table:
 * `npm run build && node dist/bench/store-bench.js`. The stores are driven through the ResourceStore port directly
 * (no HTTP), 16 operations in flight: create, read by id, update (compare-and-set on the version), and two searches
 * (a token search and a string prefix search, 20 per page, on a preloaded population).
 *
 * Caveat, printed with the table: the MongoDB-wire test servers (mongo-java-server in memory, FerretDB on SQLite)
 * are not MongoDB; their figures say nothing about the performance of a real `mongod`.
 * Environment: BENCH_STORE_PRELOAD (default 2000), BENCH_STORE_OPS (default 2000 per workload), BENCH_STORE_SERVERS
 * (default `mongo-java-server,ferretdb`), BENCH_STORE_IN_FLIGHT (default 16). Each row is printed as soon as it is measured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { MongoStore } from '../src/store/mongo/mongo-store.js';
import type { ResourceStore, StoredVersion } from '../src/store/port.js';
import { createIndexer, createSearchRegistry } from '../src/search/index.js';
import type { StoreQuery } from '../src/vocabulary/plan.js';
import { startMongoTestServer, type MongoTestServerKind } from '../test/mongo-server/test-server.js';

const PRELOAD = Number(process.env['BENCH_STORE_PRELOAD'] ?? 2000);
const OPS = Number(process.env['BENCH_STORE_OPS'] ?? 2000);
const IN_FLIGHT = Number(process.env['BENCH_STORE_IN_FLIGHT'] ?? 16);
const FAMILIES = ['smith', 'jones', 'garcia', 'miller', 'davis', 'lopez', 'wilson', 'moore'];

const registry = createSearchRegistry();
const indexer = createIndexer(registry, { baseUrl: 'http://localhost/fhir' });

function patient(i: number, v: number): { version: StoredVersion; index: ReturnType<typeof indexer.extract> } {
  const lastUpdated = new Date(Date.UTC(2025, 0, 1) + i * 1000 + v).toISOString();
  const r = {
    resourceType: 'Patient', id: `p${i}`, meta: { versionId: String(v), lastUpdated },
    name: [{ family: FAMILIES[i % FAMILIES.length]!.replace(/^./, (c) => c.toUpperCase()), given: [`G${i}`] }],
    gender: i % 2 ? 'female' : 'male', birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
    identifier: [{ system: 'http://hosp/mrn', value: `MRN-${i}` }],
  };
  return {
    version: { resourceType: 'Patient', id: r.id, versionId: String(v), lastUpdated, deleted: false, method: v === 1 ? 'POST' : 'PUT', json: JSON.stringify(r) },
    index: indexer.extract(r),
  };
}

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < n) await op(next++);
  }));
  return n / ((performance.now() - started) / 1000);
}

const tokenSearch: StoreQuery = { types: ['Patient'], where: { kind: 'token', param: { code: 'gender', type: 'token' }, code: 'female' }, sort: [], count: 20, total: 'none' };
const prefixSearch: StoreQuery = { types: ['Patient'], where: { kind: 'string', param: { code: 'family', type: 'string' }, mode: 'prefix', value: 'mil' }, sort: [], count: 20, total: 'none' };

async function measure(store: ResourceStore): Promise<Record<string, number>> {
  for (let i = 0; i < PRELOAD; i++) {
    const p = patient(i, 1);
    await store.write(p, null);
  }
  await store.sync();
  const base = PRELOAD;
  const create = await timed(OPS, async (i) => {
    await store.write(patient(base + i, 1), null);
    await store.sync();
  });
  const read = await timed(OPS, (i) => store.read('Patient', `p${i % (base + OPS)}`));
  const update = await timed(OPS, async (i) => {
    await store.write(patient(i, 2), '1');
    await store.sync();
  });
  const searchToken = await timed(Math.ceil(OPS / 4), () => store.search(tokenSearch));
  const searchPrefix = await timed(Math.ceil(OPS / 4), () => store.search(prefixSearch));
  return { create, read, update, searchToken, searchPrefix };
}

async function main(): Promise<void> {
  const cols = ['create', 'read', 'update', 'searchToken', 'searchPrefix'];
  const rowText = (name: string, r: Record<string, number> | string): string =>
    typeof r === 'string' ? `| ${name} | ${r} |` : `| ${name} | ${cols.map((c) => Math.round(r[c]!).toLocaleString('en-US')).join(' | ')} |`;
  const rows: [string, Record<string, number> | string][] = [];
  const push = (row: [string, Record<string, number> | string]): void => {
    rows.push(row);
    console.log(`measured: ${rowText(...row)}`);
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-store-bench-'));
  try {
    const sqlite = SqliteStore.open({ dataDir: dir, synchronous: 'FULL' });
    try {
      push(['SQLite (synchronous=FULL)', await measure(sqlite)]);
    } finally {
      await sqlite.close();
    }
    const kinds = (process.env['BENCH_STORE_SERVERS'] ?? 'mongo-java-server,ferretdb').split(',').filter((k) => k !== '') as MongoTestServerKind[];
    for (const kind of kinds) {
      let server;
      try {
        server = await startMongoTestServer(kind);
      } catch (err) {
        push([kind, `not run: ${(err as Error).message.split('\n')[0]}`]);
        continue;
      }
      try {
        const store = await MongoStore.open({ uri: server.uri, dbName: 'vesta_bench' });
        try {
          push([`MongoDB store on ${kind}`, await measure(store)]);
        } catch (err) {
          // A server that fails under the load is a finding for the table, not the end of the run.
          push([`MongoDB store on ${kind}`, `failed: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`]);
        } finally {
          await store.close();
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nStore-level operations per second, ${IN_FLIGHT} in flight, ${PRELOAD} Patients preloaded, ${OPS} operations per workload (searches: ${Math.ceil(OPS / 4)}):\n`);
  console.log(`| store | ${cols.join(' | ')} |`);
  console.log(`|---|${cols.map(() => '---:').join('|')}|`);
  for (const [name, r] of rows) console.log(rowText(name, r));
  console.log('\nThe MongoDB-wire test servers are not MongoDB: these figures say nothing about a real mongod. FerretDB answers searches in process (docs/mongodb.md).');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
