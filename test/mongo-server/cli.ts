/**
 * Starts a MongoDB-wire test server and prints its URI as the first line of stdout; logs go to stderr.
 * Runs until SIGTERM/SIGINT/SIGHUP (or until its parent process dies), then stops the server and exits 0.
 *
 *   npm run -s mongo-test-server -- --kind mongo-java-server
 *   npm run -s mongo-test-server -- --kind ferretdb --data-dir ./ferret-data
 *   node dist/test/mongo-server/cli.js --kind ferretdb --build-only
 *
 * (`-s` keeps npm's own "> vesta@... mongo-test-server" banner off stdout.)
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  MONGO_TEST_SERVER_KINDS, buildMongoTestServer, defaultCacheDir, isMongoTestServerKind, startMongoTestServer,
} from './test-server.js';
import type { MongoTestServer, MongoTestServerOptions } from './test-server.js';

const USAGE = `usage: mongo-test-server --kind ${MONGO_TEST_SERVER_KINDS.join('|')} [options]

  --kind KIND         which server: ${MONGO_TEST_SERVER_KINDS.join(' or ')} (required)
  --port N            port on 127.0.0.1 (default 0: a free port)
  --data-dir DIR      keep data in DIR (ferretdb: SQLite files; mongo-java-server: H2 file, with --backend h2);
                      default: a temporary directory removed at exit (mongo-java-server: in memory)
  --backend B         mongo-java-server only: memory (default) or h2
  --uri-file FILE     also write the URI to FILE once the server answers ping
  --log-level L       server log level: debug, info, warn or error
                      (default: warn for mongo-java-server, error for ferretdb)
  --build-only        build (or find in the cache) and exit; prints the build directory
  --cache-dir DIR     build cache (default ${defaultCacheDir()})
  -h, --help          this text

Prints the connection URI (mongodb://127.0.0.1:PORT/) as the first line of stdout once the server answers
ping, then runs until SIGTERM or SIGINT and stops the server. Logs go to stderr.`;

function fail(message: string): never {
  process.stderr.write(`mongo-test-server: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        kind: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        backend: { type: 'string' },
        'uri-file': { type: 'string' },
        'log-level': { type: 'string' },
        'build-only': { type: 'boolean' },
        'cache-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const kind = values.kind;
  if (kind === undefined) fail('--kind is required');
  if (!isMongoTestServerKind(kind)) fail(`unknown kind ${kind}`);

  const buildLog = (line: string): void => void process.stderr.write(`[${kind} build] ${line}\n`);
  const cacheDir = values['cache-dir'] === undefined ? undefined : path.resolve(values['cache-dir']);
  if (values['build-only']) {
    const dir = await buildMongoTestServer(kind, { buildLog, ...(cacheDir ? { cacheDir } : {}) });
    process.stdout.write(`${dir}\n`);
    return;
  }

  const options: MongoTestServerOptions = { buildLog, serverLog: (line) => void process.stderr.write(`[${kind}] ${line}\n`) };
  if (cacheDir) options.cacheDir = cacheDir;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${values.port}`);
    options.port = port;
  }
  if (values['data-dir'] !== undefined) options.dataDir = values['data-dir'];
  if (values.backend !== undefined) {
    if (values.backend !== 'memory' && values.backend !== 'h2') fail(`bad --backend ${values.backend}`);
    options.backend = values.backend;
  }
  if (values['log-level'] !== undefined) {
    const level = values['log-level'];
    if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') fail(`bad --log-level ${level}`);
    options.logLevel = level;
  }

  // A signal while building or starting: stop as soon as the server is up (or right away if it never comes up).
  let server: MongoTestServer | undefined;
  let stopRequested = false;
  let shuttingDown = false;
  const shutdown = async (why: string, code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stderr.write(`mongo-test-server: ${why}; stopping ${kind}\n`);
    try {
      await server?.stop();
    } finally {
      process.exit(code);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      stopRequested = true;
      if (server) void shutdown(signal, 0);
    });
  }
  // npm runs scripts through sh, which does not pass a SIGTERM on: notice the parent going away instead.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      stopRequested = true;
      if (server) void shutdown('parent process gone', 0);
    }
  }, 1000);

  try {
    server = await startMongoTestServer(kind, options);
  } catch (err) {
    process.stderr.write(`mongo-test-server: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (stopRequested) return shutdown('stop requested while starting', 0);

  process.stdout.write(`${server.uri}\n`);
  if (values['uri-file'] !== undefined) {
    const file = path.resolve(values['uri-file']);
    await writeFile(`${file}.tmp`, `${server.uri}\n`);
    await rename(`${file}.tmp`, file);
  }
  const dataNote = server.dataDir ? `, data in ${server.dataDir}` : '';
  process.stderr.write(`mongo-test-server: ${kind} at ${server.uri} (pid ${server.pid}${dataNote}); SIGTERM or Ctrl-C stops it\n`);

  const { code, signal } = await server.exited;
  if (!shuttingDown) {
    process.stderr.write(`mongo-test-server: ${kind} ended on its own (${signal ?? `exit code ${code}`})\n`);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`mongo-test-server: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
