import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, parseSize } from '../../src/config.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** Asserts that `env` is refused with a ConfigError whose message names `variable`. */
function assertRejected(env: NodeJS.ProcessEnv, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
      assert.equal(e.name, 'ConfigError');
      assert.match(e.message, new RegExp(`\\b${variable}\\b`), `message "${e.message}" should name ${variable}`);
      return true;
    },
    `${JSON.stringify(env)} should be rejected`,
  );
}

test('an empty environment gives the documented defaults', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.baseUrl, 'http://127.0.0.1:8080/fhir');
  assert.equal(c.dataDir, path.resolve('./data'));
  assert.ok(path.isAbsolute(c.dataDir));
  assert.equal(c.maxBodyBytes, 16 * 1024 * 1024);
  assert.equal(c.largeBodyBytes, 256 * 1024);
  assert.equal(c.largeBundleBytes, 4 * 1024 * 1024);
  assert.equal(c.bodyWorkers, 1);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.defaultCount, 20);
  assert.equal(c.maxCount, 1000);
  assert.equal(c.maxBundleEntries, 10000);
  assert.equal(c.store, 'sqlite');
  assert.equal(c.sqlite.sync, 'FULL');
  assert.equal(c.shutdownGraceSeconds, 10);
});

test('loadConfig reads process.env when given no argument', () => {
  const saved = process.env.VESTA_DEFAULT_COUNT;
  process.env.VESTA_DEFAULT_COUNT = '37';
  try {
    assert.equal(loadConfig().defaultCount, 37);
  } finally {
    if (saved === undefined) delete process.env.VESTA_DEFAULT_COUNT;
    else process.env.VESTA_DEFAULT_COUNT = saved;
  }
});

test('every variable is parsed into the typed config', () => {
  const c = loadConfig({
    PORT: '9090',
    HOST: '0.0.0.0',
    VESTA_BASE_URL: 'https://fhir.example.org/r4/',
    VESTA_DATA_DIR: 'some/relative/dir',
    VESTA_MAX_BODY: '2mb',
    VESTA_LARGE_BODY: '64kb',
    VESTA_LARGE_BUNDLE: '1mb',
    VESTA_BODY_WORKERS: '0',
    LOG_LEVEL: 'DEBUG',
    VESTA_MAX_COUNT: '500',
    VESTA_DEFAULT_COUNT: '50',
    VESTA_MAX_BUNDLE_ENTRIES: '250',
    VESTA_MAX_JSON_DEPTH: '64',
    VESTA_MAX_CHAIN_DEPTH: '2',
    VESTA_MAX_HEADER_SIZE: '32kb',
    VESTA_SEARCH_MAX_VALUES: '300',
    VESTA_SEARCH_TIMEOUT_MS: '2500',
    VESTA_MAX_INCLUDE_ITERATIONS: '2',
    VESTA_SQLITE_SYNC: 'normal',
    VESTA_SQLITE_CACHE_MB: '64',
    VESTA_SQLITE_READ_WORKERS: '3',
    VESTA_SQLITE_PREWARM: 'off',
    VESTA_SQLITE_WAL_LIMIT_MB: '16',
    VESTA_SQLITE_MAX_MB: '2048',
    VESTA_SHUTDOWN_GRACE: '3',
    VESTA_AUTH: 'external',
    VESTA_AUTH_ISSUER: 'https://login.example.org, https://idp.example.com/realms/x/',
    VESTA_AUTH_AUDIENCE: 'https://fhir.example.org/r4',
    VESTA_AUTH_INTROSPECTION_URI: 'https://login.example.org/introspect',
    VESTA_AUTH_INTROSPECTION_CLIENT_ID: 'vesta',
    VESTA_AUTH_INTROSPECTION_CLIENT_SECRET: 'introspection-secret',
    VESTA_AUTH_CLOCK_SKEW: '10',
    VESTA_AUTH_TOKEN_LIFETIME: '600',
    VESTA_SECRET_KEY: 'k'.repeat(40),
    VESTA_SECRET_KEY_FILE: '/run/secrets/vesta.key',
    VESTA_CORS_ORIGINS: 'https://app.example.org, http://localhost:3000',
    VESTA_AUDIT_SITE: 'fhir-1.example.org',
    VESTA_AUDIT_RETENTION_DAYS: '2555',
    VESTA_AUDIT_CHECKPOINT_MINUTES: '15',
  });
  assert.deepEqual(c, {
    port: 9090,
    host: '0.0.0.0',
    baseUrl: 'https://fhir.example.org/r4',
    dataDir: path.resolve('some/relative/dir'),
    maxBodyBytes: 2 * 1024 * 1024,
    largeBodyBytes: 64 * 1024,
    largeBundleBytes: 1024 * 1024,
    bodyWorkers: 0,
    logLevel: 'debug',
    defaultCount: 50,
    maxCount: 500,
    maxBundleEntries: 250,
    maxJsonDepth: 64,
    maxChainDepth: 2,
    maxHeaderBytes: 32768,
    searchMaxValues: 300,
    searchTimeoutMs: 2500,
    maxIncludeIterations: 2,
    store: 'sqlite',
    sqlite: { sync: 'NORMAL', cacheMiB: 64, readWorkers: 3, prewarm: false, walLimitMiB: 16, maxMiB: 2048 },
    shutdownGraceSeconds: 3,
    auth: {
      mode: 'external',
      issuers: ['https://login.example.org', 'https://idp.example.com/realms/x'],
      audience: 'https://fhir.example.org/r4',
      introspection: { endpoint: 'https://login.example.org/introspect', clientId: 'vesta', clientSecret: 'introspection-secret' },
      clockSkewSeconds: 10,
      tokenLifetimeSeconds: 600,
      loginAttempts: 5,
      lockoutSeconds: 900,
      rateLimitPerMinute: 120,
      secretKey: 'k'.repeat(40),
      secretKeyFile: '/run/secrets/vesta.key',
    },
    corsOrigins: ['https://app.example.org', 'http://localhost:3000'],
    audit: { enabled: true, site: 'fhir-1.example.org', retentionDays: 2555, checkpointMinutes: 15 },
  });
});

test('the audit trail is on by default; off is refused unless HOST is a loopback address', () => {
  const c = loadConfig({});
  assert.equal(c.audit.enabled, true);
  assert.equal(c.audit.retentionDays, undefined);
  assert.equal(loadConfig({ VESTA_AUDIT: 'off' }).audit.enabled, false);
  assertRejected({ VESTA_AUDIT: 'off', HOST: '0.0.0.0' }, 'VESTA_AUDIT');
  assertRejected({ VESTA_AUDIT_RETENTION_DAYS: '0' }, 'VESTA_AUDIT_RETENTION_DAYS');
  assertRejected({ VESTA_AUDIT_SITE: 'bad site!' }, 'VESTA_AUDIT_SITE');
});

test('authorization is on by default with Vesta\'s own tokens, and CORS allows any origin', () => {
  const c = loadConfig({ VESTA_DATA_DIR: '/srv/vesta' });
  assert.equal(c.auth.mode, 'builtin');
  assert.deepEqual(c.auth.issuers, []);
  assert.equal(c.auth.clockSkewSeconds, 30);
  assert.equal(c.auth.secretKeyFile, '/srv/vesta/secret.key');
  assert.equal(c.corsOrigins, '*');
});

test('invalid authorization settings stop the start naming the variable', () => {
  assertRejected({ VESTA_AUTH: 'sometimes' }, 'VESTA_AUTH');
  assertRejected({ VESTA_AUTH: 'off', HOST: '0.0.0.0' }, 'VESTA_AUTH');
  assertRejected({ VESTA_AUTH: 'external' }, 'VESTA_AUTH_ISSUER');
  assertRejected({ VESTA_AUTH: 'external', VESTA_AUTH_ISSUER: 'not a url' }, 'VESTA_AUTH_ISSUER');
  assertRejected({ VESTA_AUTH: 'external', VESTA_AUTH_ISSUER: 'https://a.org,https://b.org', VESTA_AUTH_JWKS_URI: 'https://a.org/jwks' }, 'VESTA_AUTH_JWKS_URI');
  assertRejected({ VESTA_AUTH: 'builtin', VESTA_AUTH_JWKS_URI: 'https://a.org/jwks' }, 'VESTA_AUTH_JWKS_URI');
  assertRejected({ VESTA_AUTH: 'builtin', VESTA_AUTH_INTROSPECTION_URI: 'https://a.org/i' }, 'VESTA_AUTH_INTROSPECTION_URI');
  assertRejected({ VESTA_AUTH: 'external', VESTA_AUTH_ISSUER: 'https://a.org', VESTA_AUTH_INTROSPECTION_URI: 'https://a.org/i', VESTA_AUTH_INTROSPECTION_CLIENT_ID: 'x' }, 'VESTA_AUTH_INTROSPECTION_CLIENT_SECRET');
  assertRejected({ VESTA_AUTH_CLOCK_SKEW: '3600' }, 'VESTA_AUTH_CLOCK_SKEW');
  assertRejected({ VESTA_SECRET_KEY: 'short' }, 'VESTA_SECRET_KEY');
  assertRejected({ VESTA_CORS_ORIGINS: 'https://app.example.org/path' }, 'VESTA_CORS_ORIGINS');
});

test('VESTA_AUTH=off is accepted on loopback addresses only', () => {
  for (const host of ['127.0.0.1', '::1', 'localhost']) assert.equal(loadConfig({ VESTA_AUTH: 'off', HOST: host }).auth.mode, 'off');
});

test('searches run on one read worker per core by default (1 to 8), and 0 turns the workers off', () => {
  assert.equal(loadConfig({}).sqlite.readWorkers, Math.max(1, Math.min(8, os.availableParallelism())));
  assert.equal(loadConfig({ VESTA_SQLITE_READ_WORKERS: '0' }).sqlite.readWorkers, 0);
  assert.throws(() => loadConfig({ VESTA_SQLITE_READ_WORKERS: 'many' }), /VESTA_SQLITE_READ_WORKERS/);
  assert.throws(() => loadConfig({ VESTA_SQLITE_READ_WORKERS: '65' }), /VESTA_SQLITE_READ_WORKERS/);
});

test('read workers warm their caches unless VESTA_SQLITE_PREWARM is off', () => {
  assert.equal(loadConfig({}).sqlite.prewarm, true);
  assert.equal(loadConfig({ VESTA_SQLITE_PREWARM: 'OFF' }).sqlite.prewarm, false);
  assert.equal(loadConfig({ VESTA_SQLITE_PREWARM: 'on' }).sqlite.prewarm, true);
  assert.throws(() => loadConfig({ VESTA_SQLITE_PREWARM: 'sometimes' }), /VESTA_SQLITE_PREWARM/);
});

test('the default base URL follows PORT and HOST', () => {
  assert.equal(loadConfig({ PORT: '3000', HOST: 'localhost' }).baseUrl, 'http://localhost:3000/fhir');
  assert.equal(loadConfig({ HOST: '::1' }).baseUrl, 'http://[::1]:8080/fhir');
});

test('an absolute data directory is kept as given', () => {
  const dir = path.join(os.tmpdir(), 'vesta-config-abs');
  assert.equal(loadConfig({ VESTA_DATA_DIR: dir }).dataDir, dir);
});

test('empty values fall back to the defaults', () => {
  const c = loadConfig({ PORT: '', VESTA_DATA_DIR: '  ', VESTA_BASE_URL: '', VESTA_DEFAULT_COUNT: '' });
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, path.resolve('./data'));
  assert.equal(c.baseUrl, 'http://127.0.0.1:8080/fhir');
  assert.equal(c.defaultCount, 20);
});

test('PORT 0 is accepted so the system can pick a free port', () => {
  assert.equal(loadConfig({ PORT: '0' }).port, 0);
});

test('body sizes accept bytes, kb, mb and gb units', () => {
  assert.equal(parseSize('X', '1048576'), 1048576);
  assert.equal(parseSize('X', '512kb'), 512 * 1024);
  assert.equal(parseSize('X', '1.5MB'), 1.5 * 1024 * 1024);
  assert.equal(parseSize('X', '1gb'), 1024 ** 3);
});

test('invalid values fail with a ConfigError naming the variable', () => {
  assertRejected({ PORT: 'abc' }, 'PORT');
  assertRejected({ PORT: '70000' }, 'PORT');
  assertRejected({ PORT: '-1' }, 'PORT');
  assertRejected({ PORT: '80.5' }, 'PORT');
  assertRejected({ VESTA_MAX_BODY: 'lots' }, 'VESTA_MAX_BODY');
  assertRejected({ VESTA_MAX_BODY: '10' }, 'VESTA_MAX_BODY');
  assertRejected({ VESTA_MAX_BODY: '2gb' }, 'VESTA_MAX_BODY');
  assertRejected({ VESTA_LARGE_BODY: 'big' }, 'VESTA_LARGE_BODY');
  assertRejected({ VESTA_LARGE_BUNDLE: 'big' }, 'VESTA_LARGE_BUNDLE');
  assertRejected({ VESTA_BODY_WORKERS: '17' }, 'VESTA_BODY_WORKERS');
  assertRejected({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
  assertRejected({ VESTA_BASE_URL: 'ftp://x' }, 'VESTA_BASE_URL');
  assertRejected({ VESTA_BASE_URL: 'not a url' }, 'VESTA_BASE_URL');
  assertRejected({ VESTA_BASE_URL: 'http://x/fhir?a=1' }, 'VESTA_BASE_URL');
  assertRejected({ HOST: 'bad host name' }, 'HOST');
  assertRejected({ VESTA_SQLITE_SYNC: 'OFF' }, 'VESTA_SQLITE_SYNC');
  assertRejected({ VESTA_SQLITE_CACHE_MB: '1' }, 'VESTA_SQLITE_CACHE_MB');
  assertRejected({ VESTA_SQLITE_WAL_LIMIT_MB: '0' }, 'VESTA_SQLITE_WAL_LIMIT_MB');
  assertRejected({ VESTA_SQLITE_MAX_MB: 'lots' }, 'VESTA_SQLITE_MAX_MB');
  assertRejected({ VESTA_MAX_COUNT: '0' }, 'VESTA_MAX_COUNT');
  assertRejected({ VESTA_DEFAULT_COUNT: '2000' }, 'VESTA_DEFAULT_COUNT');
  assertRejected({ VESTA_MAX_COUNT: '10', VESTA_DEFAULT_COUNT: '11' }, 'VESTA_DEFAULT_COUNT');
  assertRejected({ VESTA_MAX_BUNDLE_ENTRIES: 'many' }, 'VESTA_MAX_BUNDLE_ENTRIES');
  assertRejected({ VESTA_SHUTDOWN_GRACE: '601' }, 'VESTA_SHUTDOWN_GRACE');
});

test('the server process exits non-zero with a clear message when PORT is invalid', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-config-'));
  try {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', PORT: 'abc', VESTA_DATA_DIR: dataDir, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.notEqual(code, 0);
    assert.notEqual(code, null, 'the process should exit by itself, not be killed');
    assert.match(stderr, /invalid configuration/i);
    assert.match(stderr, /PORT/);
    assert.match(stderr, /abc/);
    assert.doesNotMatch(stdout, /ready at/);
    // A refused configuration must not create the database.
    assert.deepEqual(fs.readdirSync(dataDir), []);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
