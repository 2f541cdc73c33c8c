/**
 * Shows what SQLite does for a FHIR search: runs the search through the real SearchService and the store's own
 * SQL compiler on a read-only connection that records every statement, then prints each statement with its
 * `EXPLAIN QUERY PLAN` and its median execution time. Nothing here compiles SQL itself, so the plans are the
 * ones the server runs.
 *
 * Run directly: `node dist/bench/search/explain.js <dataDir> 'Observation?patient=pat-1&code=http://loinc.org|8867-4' ...`
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging/logger.js';
import type { ResourceStore } from '../../src/store/port.js';
import { SqliteSession } from '../../src/store/sqlite/sqlite-session.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** One SQL statement a search ran, with its bound parameters, plan and timing. */
export interface ExplainedStatement {
  sql: string;
  params: unknown[];
  plan: string[];
  /** Median time of one execution on a warm cache, in microseconds. */
  medianUs: number;
}

type Recorded = { sql: string; params: unknown[] };

/** Wraps `db.prepare` so every statement run (get/all/iterate) is recorded with its parameters. */
function recordStatements(db: Database.Database, log: Recorded[]): void {
  const prepare = db.prepare.bind(db);
  (db as { prepare: (sql: string) => Database.Statement }).prepare = (sql: string) => {
    const stmt = prepare(sql);
    return new Proxy(stmt, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if ((prop === 'get' || prop === 'all' || prop === 'iterate') && typeof value === 'function') {
          return (...args: unknown[]) => {
            log.push({ sql, params: args });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

/** A read-only ResourceStore over one session, enough for the search service (reads and searches only). */
function readOnlyStore(session: SqliteSession): ResourceStore {
  const refuse = (): never => {
    throw new Error('the explain store is read-only');
  };
  const store: ResourceStore = {
    capabilities: { ...SqliteStore.CAPABILITIES, transactions: false },
    write: async () => refuse(),
    read: async (t, id) => session.read(t, id),
    vread: async (t, id, v) => session.vread(t, id, v),
    history: async (scope, page) => session.history(scope, page),
    search: async (query) => session.search(query),
    transaction: async () => refuse(),
    serialized: async () => refuse(),
    sync: async () => undefined,
    ping: async () => true,
    close: async () => undefined,
  };
  return store;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Runs each search (`Type?query`) against the database in `dataDir` and explains every statement it executed. */
export async function explainSearches(dataDir: string, searches: string[], repeats = 25): Promise<Map<string, ExplainedStatement[]>> {
  const db = new Database(path.join(dataDir, 'vesta.sqlite'), { readonly: true });
  try {
    const recorded: Recorded[] = [];
    recordStatements(db, recorded);
    const session = new SqliteSession(db);
    const store = readOnlyStore(session);
    // Searches run in process on a read-only connection: no tokens to check, nothing to audit.
    const config = loadConfig({ VESTA_DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1', VESTA_AUTH: 'off', VESTA_AUDIT: 'off' });
    const app = createApp({ config, store, log: createLogger('warn', true) });
    await app.ready;
    const out = new Map<string, ExplainedStatement[]>();
    for (const search of searches) {
      const [type, qs = ''] = search.replace(/^\/?(fhir\/)?/, '').split('?', 2) as [string, string?];
      const query = [...new URLSearchParams(qs).entries()];
      recorded.length = 0;
      await app.deps.search.run({ types: [type], query, strict: false, baseUrl: config.baseUrl, linkPath: type });
      const statements = recorded.splice(0);
      out.set(search, statements.map(({ sql, params }) => {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { id: number; parent: number; detail: string }[]);
        const depth = new Map<number, number>();
        const lines = plan.map((row) => {
          const d = (depth.get(row.parent) ?? -1) + 1;
          depth.set(row.id, d);
          return `${'  '.repeat(d)}${row.detail}`;
        });
        const stmt = db.prepare(sql);
        const times: number[] = [];
        for (let n = 0; n < repeats; n++) {
          const t = performance.now();
          if (stmt.reader) stmt.all(...params);
          else stmt.run(...params);
          times.push((performance.now() - t) * 1000);
        }
        return { sql, params, plan: lines, medianUs: median(times) };
      }));
    }
    return out;
  } finally {
    db.close();
  }
}

/** Prints explained statements in a readable block per search. */
export function formatExplained(results: Map<string, ExplainedStatement[]>): string {
  const out: string[] = [];
  for (const [search, statements] of results) {
    out.push(`\n## ${search}`);
    statements.forEach((s, i) => {
      out.push(`-- statement ${i + 1}: median ${s.medianUs.toFixed(0)} µs, params ${JSON.stringify(s.params)}`);
      out.push(s.sql);
      out.push(...s.plan.map((l) => `   ${l}`));
    });
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const [dataDir, ...searches] = process.argv.slice(2);
  if (!dataDir || searches.length === 0) {
    console.error("usage: node dist/bench/search/explain.js <dataDir> 'Type?param=value' ...");
    process.exit(2);
  }
  console.log(formatExplained(await explainSearches(dataDir, searches)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
