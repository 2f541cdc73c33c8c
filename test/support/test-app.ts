import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { createNodeServer } from '../../src/http/node-server.js';
import { createApp } from '../../src/app.js';
import type { AppOptions, VestaApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Config } from '../../src/config.js';
import type { Logger } from 'winston';
import { capturingLogger, noteRequest } from './log-scan.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ResourceStore } from '../../src/store/port.js';
import type { MongoStore } from '../../src/store/mongo/mongo-store.js';
import { testStoreKind, openTestMongoStore } from './test-store.js';

/** The store under an end-to-end test: SQLite by default, MongoDB with VESTA_TEST_STORE (test-store.ts). */
export type TestStore = SqliteStore | MongoStore;

/** A running Vesta on an ephemeral port with a temporary data directory. */
export interface TestServer {
  /** FHIR base, e.g. http://127.0.0.1:41234/fhir */
  base: string;
  /** Server root, e.g. http://127.0.0.1:41234 */
  root: string;
  app: VestaApp;
  store: TestStore;
  dataDir: string;
  close(): Promise<void>;
}

/** A fixed clock that advances 1 ms per call, so versions get distinct, predictable timestamps. */
export function steppingClock(start = Date.parse('2024-01-01T00:00:00.000Z')): () => Date {
  let t = start;
  return () => new Date(t++);
}

/** Starts Vesta for a test; pass overrides for config or dependencies (policy, auditor, clock, ids...). */
export async function startTestServer(
  overrides: {
    config?: Partial<Config>; env?: NodeJS.ProcessEnv; log?: Logger;
    /** Hands the app a store built over the test's SQLite store (a store with fewer capabilities, say). */
    wrapStore?: (store: TestStore) => ResourceStore;
  } & Partial<Omit<AppOptions, 'config' | 'store' | 'log'>> = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-test-'));
  // One read worker: end-to-end tests go through the same worker path as the server (main.ts).
  const store: TestStore = testStoreKind() === 'sqlite'
    ? SqliteStore.open({ dataDir, synchronous: 'NORMAL', readWorkers: 1 })
    : await openTestMongoStore();
  // Unless a test brings its own logger, the server logs at debug into memory and its lines are scanned for the PHI
  // and secrets the test sent when it closes.
  const capture = overrides.log ? undefined : capturingLogger();
  const log = overrides.log ?? capture!.log;
  // Listen first so the base URL (which the app bakes into links and reference handling) has the real port.
  // The same server construction as main.ts (request/response objects born with the app's prototypes).
  let listener: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const { server, adopt } = createNodeServer((req, res) => listener(req, res));
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const root = `http://127.0.0.1:${port}`;
  const base = `${root}/fhir`;
  const config: Config = {
    // Authorization is off unless a test asks for it (env VESTA_AUTH): most tests are about FHIR, not tokens.
    ...loadConfig({ VESTA_DATA_DIR: dataDir, VESTA_BASE_URL: base, VESTA_AUTH: 'off', ...(overrides.env ?? {}) }),
    ...(overrides.config ?? {}),
  };
  const { config: _c, env: _e, log: _l, wrapStore, ...deps } = overrides;
  const app = createApp({ ...deps, config, store: wrapStore ? wrapStore(store) : store, authState: store.authState(), auditTrail: store.auditTrail(), log });
  await app.ready;
  adopt(app.http);
  listener = app.http;
  return {
    base, root, app, store, dataDir,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await app.close();
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      capture?.assertClean();
    },
  };
}

/** The answer of `fhir()`: status, headers and the parsed JSON body (if any). */
export interface FhirResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

/** Sends one request; objects are sent as application/fhir+json unless a content-type header is given. */
export async function fhir(
  method: string, url: string, opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<FhirResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/fhir+json';
  }
  noteRequest(url, headers, opts.body);
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
