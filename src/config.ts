import os from 'node:os';
import path from 'node:path';

/** Validated runtime configuration, read once from the environment at start. */
export interface Config {
  port: number;
  host: string;
  /** Public FHIR base URL used in links (no trailing slash). */
  baseUrl: string;
  dataDir: string;
  maxBodyBytes: number;
  /**
   * `VESTA_LARGE_BODY`: JSON bodies at least this large (bytes) are checked by a worker thread and parsed, written
   * and indexed in slices, so that no request holds the event loop for long (issue 10 item 6).
   */
  largeBodyBytes: number;
  /**
   * `VESTA_LARGE_BUNDLE`: the same for batch and transaction Bundles, whose entries already give other requests the
   * event loop between them: below it only the parse and check of the whole text run at once (about 5 ms per MB).
   */
  largeBundleBytes: number;
  /** `VESTA_BODY_WORKERS`: worker threads for large bodies (started on first use); 0 handles them on the main thread. */
  bodyWorkers: number;
  logLevel: 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';
  /** Default and maximum `_count` for searches and history. */
  defaultCount: number;
  maxCount: number;
  maxBundleEntries: number;
  /** `VESTA_MAX_JSON_DEPTH`: deepest nesting of objects and arrays a JSON body may have. */
  maxJsonDepth: number;
  /** `VESTA_MAX_CHAIN_DEPTH`: most chained or `_has` links one search parameter may follow (at most what the store can). */
  maxChainDepth: number;
  /** `VESTA_MAX_HEADER_SIZE`: largest request line plus headers (the URL of a GET search included), in bytes. */
  maxHeaderBytes: number;
  /** `VESTA_SEARCH_MAX_VALUES`: most search values (each OR value and each AND parameter) one search may hold. */
  searchMaxValues: number;
  /** `VESTA_SEARCH_TIMEOUT_MS`: time budget of one search or history page in a read worker, in milliseconds. */
  searchTimeoutMs: number;
  /** `VESTA_MAX_INCLUDE_ITERATIONS`: how many rounds `_include:iterate` and `_revinclude:iterate` follow. */
  maxIncludeIterations: number;
  /** Which store holds the data (store/factory.ts); its own settings are grouped under its name. */
  store: 'sqlite' | 'mongodb';
  /** Settings of the embedded SQLite store (`VESTA_SQLITE_*`); its file lives in `dataDir`. */
  sqlite: SqliteConfig;
  /** Settings of the MongoDB store, present when `MONGODB_URI` is set (which selects it). */
  mongodb?: MongoConfig;
  /** Seconds to wait for in-flight requests on SIGTERM before closing anyway. */
  shutdownGraceSeconds: number;
  /** Who may call the FHIR API (SMART App Launch 2.x resource server). */
  auth: AuthConfig;
  /** Browser origins allowed by CORS on `/fhir`: `*` or a list of origins. */
  corsOrigins: '*' | readonly string[];
  /** The audit trail (`VESTA_AUDIT_*`). */
  audit: AuditConfig;
}

/** The audit trail's settings. */
export interface AuditConfig {
  /** `VESTA_AUDIT`: on (default), or off for benchmarks and development on a loopback address only. */
  enabled: boolean;
  /** `VESTA_AUDIT_SITE`: AuditEvent.source.site, this server's name in its records (the host name by default). */
  site: string;
  /** `VESTA_AUDIT_RETENTION_DAYS`: prune records older than this, whole verified checkpoints at a time; unset keeps all. */
  retentionDays?: number;
  /** `VESTA_AUDIT_CHECKPOINT_MINUTES`: how often a signed checkpoint of the chain head is written. */
  checkpointMinutes: number;
}

/** How access tokens are checked (`VESTA_AUTH_*`). */
export interface AuthConfig {
  /**
   * `builtin`: tokens signed by Vesta's own keys (kept in the store, rotatable); `external`: tokens of the configured
   * issuers (JWKS or introspection); `off`: no authentication (development only, loopback HOST).
   */
  mode: 'builtin' | 'external' | 'off';
  /** `VESTA_AUTH_ISSUER`: builtin: overrides the issuer derived from the base URL; external: the trusted issuers. */
  issuers: readonly string[];
  /** `VESTA_AUTH_JWKS_URI` (external, one issuer): where its keys are; otherwise found by OpenID discovery. */
  jwksUri?: string;
  /** `VESTA_AUTH_AUDIENCE`: the `aud` tokens must carry; the FHIR base URL when unset. */
  audience?: string;
  /** `VESTA_AUTH_INTROSPECTION_URI` (+ `_CLIENT_ID`, `_CLIENT_SECRET`): RFC 7662 endpoint for opaque tokens (external). */
  introspection?: { endpoint: string; clientId?: string; clientSecret?: string };
  /** `VESTA_AUTH_CLOCK_SKEW`: seconds of leeway on `exp` and `nbf`. */
  clockSkewSeconds: number;
  /** `VESTA_AUTH_TOKEN_LIFETIME`: seconds a token Vesta signs lives by default. */
  tokenLifetimeSeconds: number;
  /** `VESTA_AUTH_LOGIN_ATTEMPTS`: failed logins in a row before a user is locked out (built-in authorization server). */
  loginAttempts: number;
  /** `VESTA_AUTH_LOCKOUT_SECONDS`: how long a lockout lasts. */
  lockoutSeconds: number;
  /** `VESTA_AUTH_RATE_LIMIT`: requests per minute per client address to the login, token and introspection endpoints. */
  rateLimitPerMinute: number;
  /** `VESTA_SECRET_KEY`: key material that encrypts the signing keys at rest (else a key file in the data directory). */
  secretKey?: string;
  /** `VESTA_SECRET_KEY_FILE`: where the generated key lives; `<VESTA_DATA_DIR>/secret.key` by default. */
  secretKeyFile: string;
}

/** `MONGODB_URI` set selects the MongoDB store; unset, the embedded SQLite store. */
function storeOf(mongodb: MongoConfig | undefined): Pick<Config, 'store' | 'mongodb'> {
  return mongodb === undefined ? { store: 'sqlite' } : { store: 'mongodb', mongodb };
}

/** Settings of the MongoDB store. */
export interface MongoConfig {
  /** `MONGODB_URI`: the connection string (it may hold credentials: never log it). */
  uri: string;
  /** `VESTA_MONGODB_DB`, else the database named in the URI, else `vesta`. */
  dbName: string;
}

/** The database a MongoDB connection string names (`mongodb://host/db?...`), if any. */
export function databaseOfUri(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(uri);
  const db = m?.[1] ? decodeURIComponent(m[1]) : '';
  return db === '' ? undefined : db;
}

function loadMongo(env: NodeJS.ProcessEnv): MongoConfig | undefined {
  const uri = env.MONGODB_URI?.trim();
  if (!uri) return undefined;
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) throw new ConfigError('MONGODB_URI must start with mongodb:// or mongodb+srv://');
  const dbName = env.VESTA_MONGODB_DB?.trim() || databaseOfUri(uri) || 'vesta';
  // MongoDB database names: no /\. "$*<>:|? or spaces, at most 63 bytes.
  if (!/^[^/\\. "$*<>:|?]{1,63}$/.test(dbName)) throw new ConfigError(`VESTA_MONGODB_DB is not a valid MongoDB database name: "${dbName}"`);
  return { uri, dbName };
}

/** Settings of the embedded SQLite store. */
export interface SqliteConfig {
  /** Durability: FULL survives power loss, NORMAL survives process crashes only. */
  sync: 'FULL' | 'NORMAL';
  /** Page cache of each read connection, in MiB. */
  cacheMiB: number;
  /** Worker threads running searches and history pages on their own read connections; 0 keeps them on the main thread. */
  readWorkers: number;
  /** Read workers fill their caches from the database before the server reports ready. */
  prewarm: boolean;
  /** The size the write-ahead log is kept to (MiB): a commit past it holds the next writes until the WAL has restarted (at most 1 s). */
  walLimitMiB: number;
  /** Largest database file (MiB), like a disk quota: writes that would pass it answer 507. None when absent. */
  maxMiB?: number;
}

/** Thrown when the environment holds an invalid setting; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** One per core, at least 1 and at most 8. */
export function defaultReadWorkers(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

/** `on`/`off` (also true/false, 1/0, yes/no); empty or unset gives the fallback. */
function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

/** Parses sizes such as `16mb`, `512kb`, `1048576` into bytes. */
export function parseSize(name: string, raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(raw);
  if (!m) throw new ConfigError(`${name} must be a size like 16mb or 1048576, got "${raw}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit === 'gb' ? 1024 ** 3 : unit === 'mb' ? 1024 ** 2 : unit === 'kb' ? 1024 : 1;
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes < 1024 || bytes > 1024 ** 3) throw new ConfigError(`${name} must be between 1kb and 1gb, got "${raw}"`);
  return bytes;
}

/** True for the loopback addresses `off` may listen on. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function httpUrl(name: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name} must use http or https, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

/** The `VESTA_AUTH_*` settings; invalid combinations stop the server naming the variable. */
function loadAuth(env: NodeJS.ProcessEnv, host: string, dataDir: string): AuthConfig {
  const mode = (env.VESTA_AUTH ?? 'builtin').trim().toLowerCase();
  if (mode !== 'builtin' && mode !== 'external' && mode !== 'off') {
    throw new ConfigError(`VESTA_AUTH must be builtin, external or off, got "${env.VESTA_AUTH}"`);
  }
  if (mode === 'off' && !isLoopback(host)) {
    throw new ConfigError(`VESTA_AUTH=off is for development only: HOST must be a loopback address (127.0.0.1, ::1, localhost), got "${host}"`);
  }
  const issuers = list(env, 'VESTA_AUTH_ISSUER').map((i) => httpUrl('VESTA_AUTH_ISSUER', i));
  const jwks = env.VESTA_AUTH_JWKS_URI?.trim();
  const introspectionUri = env.VESTA_AUTH_INTROSPECTION_URI?.trim();
  const auth: AuthConfig = {
    mode,
    issuers,
    clockSkewSeconds: integer(env, 'VESTA_AUTH_CLOCK_SKEW', 30, 0, 300),
    tokenLifetimeSeconds: integer(env, 'VESTA_AUTH_TOKEN_LIFETIME', 3600, 60, 86400),
    loginAttempts: integer(env, 'VESTA_AUTH_LOGIN_ATTEMPTS', 5, 1, 100),
    lockoutSeconds: integer(env, 'VESTA_AUTH_LOCKOUT_SECONDS', 900, 1, 86400),
    rateLimitPerMinute: integer(env, 'VESTA_AUTH_RATE_LIMIT', 120, 1, 100000),
    secretKeyFile: path.resolve(env.VESTA_SECRET_KEY_FILE?.trim() || path.join(dataDir, 'secret.key')),
  };
  const audience = env.VESTA_AUTH_AUDIENCE?.trim();
  if (audience) auth.audience = httpUrl('VESTA_AUTH_AUDIENCE', audience);
  const secret = env.VESTA_SECRET_KEY;
  if (secret !== undefined && secret !== '') {
    if (secret.length < 32) throw new ConfigError('VESTA_SECRET_KEY must be at least 32 characters of key material');
    auth.secretKey = secret;
  }
  if (mode === 'external') {
    if (issuers.length === 0) throw new ConfigError('VESTA_AUTH=external needs VESTA_AUTH_ISSUER (one or more issuer URLs, comma-separated)');
    if (jwks) {
      if (issuers.length !== 1) throw new ConfigError('VESTA_AUTH_JWKS_URI names the keys of one issuer; with several VESTA_AUTH_ISSUER values each is found by OpenID discovery');
      auth.jwksUri = httpUrl('VESTA_AUTH_JWKS_URI', jwks);
    }
    if (introspectionUri) {
      auth.introspection = { endpoint: httpUrl('VESTA_AUTH_INTROSPECTION_URI', introspectionUri) };
      const id = env.VESTA_AUTH_INTROSPECTION_CLIENT_ID?.trim();
      const secretText = env.VESTA_AUTH_INTROSPECTION_CLIENT_SECRET;
      if ((id && !secretText) || (!id && secretText)) {
        throw new ConfigError('VESTA_AUTH_INTROSPECTION_CLIENT_ID and VESTA_AUTH_INTROSPECTION_CLIENT_SECRET go together');
      }
      if (id && secretText) Object.assign(auth.introspection, { clientId: id, clientSecret: secretText });
    }
  } else {
    const stray = ['VESTA_AUTH_JWKS_URI', 'VESTA_AUTH_INTROSPECTION_URI'].find((n) => env[n]?.trim());
    if (stray) throw new ConfigError(`${stray} applies to VESTA_AUTH=external only (VESTA_AUTH is ${mode})`);
    if (mode === 'builtin' && issuers.length > 1) throw new ConfigError('VESTA_AUTH_ISSUER names one issuer in builtin mode (Vesta itself)');
  }
  return auth;
}

/** The `VESTA_AUDIT_*` settings. */
function loadAudit(env: NodeJS.ProcessEnv, host: string): AuditConfig {
  const enabled = onOff(env, 'VESTA_AUDIT', true);
  if (!enabled && !isLoopback(host)) {
    throw new ConfigError(`VESTA_AUDIT=off is for benchmarks and development only: HOST must be a loopback address, got "${host}"`);
  }
  const site = (env.VESTA_AUDIT_SITE?.trim() || os.hostname() || 'vesta').slice(0, 200);
  if (!/^[\w.:\-]+$/.test(site)) throw new ConfigError(`VESTA_AUDIT_SITE must be a host-like name (letters, digits, . : - _), got "${site}"`);
  const audit: AuditConfig = { enabled, site, checkpointMinutes: integer(env, 'VESTA_AUDIT_CHECKPOINT_MINUTES', 5, 1, 1440) };
  const retention = env.VESTA_AUDIT_RETENTION_DAYS?.trim();
  if (retention) audit.retentionDays = integer(env, 'VESTA_AUDIT_RETENTION_DAYS', 0, 1, 36500);
  return audit;
}

/** `VESTA_CORS_ORIGINS`: `*` (the default: tokens are bearer, no credentials) or a comma-separated list of origins. */
function loadCors(env: NodeJS.ProcessEnv): '*' | string[] {
  const raw = env.VESTA_CORS_ORIGINS?.trim();
  if (!raw || raw === '*') return '*';
  return list(env, 'VESTA_CORS_ORIGINS').map((o) => {
    const u = new URL(httpUrl('VESTA_CORS_ORIGINS', o));
    if (u.origin !== o.replace(/\/+$/, '')) throw new ConfigError(`VESTA_CORS_ORIGINS lists origins (scheme://host[:port]), got "${o}"`);
    return u.origin;
  });
}

/** Reads and validates the configuration; fails fast with a message naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const host = (env.HOST ?? '127.0.0.1').trim();
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) throw new ConfigError(`HOST must be a host name or IP address, got "${host}"`);
  const baseRaw = env.VESTA_BASE_URL?.trim();
  let baseUrl: string;
  if (baseRaw) {
    let u: URL;
    try {
      u = new URL(baseRaw);
    } catch {
      throw new ConfigError(`VESTA_BASE_URL must be an absolute http(s) URL, got "${baseRaw}"`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('VESTA_BASE_URL must use http or https');
    if (u.search || u.hash) throw new ConfigError('VESTA_BASE_URL must not have a query or fragment');
    baseUrl = u.toString().replace(/\/+$/, '');
  } else {
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    baseUrl = `http://${h}:${port}/fhir`;
  }
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const sync = (env.VESTA_SQLITE_SYNC ?? 'FULL').trim().toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new ConfigError(`VESTA_SQLITE_SYNC must be FULL or NORMAL, got "${sync}"`);
  const maxCount = integer(env, 'VESTA_MAX_COUNT', 1000, 1, 10000);
  const defaultCount = integer(env, 'VESTA_DEFAULT_COUNT', 20, 1, maxCount);
  const dataDir = path.resolve(env.VESTA_DATA_DIR?.trim() || './data');
  return {
    port,
    host,
    baseUrl,
    dataDir,
    maxBodyBytes: parseSize('VESTA_MAX_BODY', env.VESTA_MAX_BODY ?? '16mb'),
    largeBodyBytes: parseSize('VESTA_LARGE_BODY', env.VESTA_LARGE_BODY ?? '256kb'),
    largeBundleBytes: parseSize('VESTA_LARGE_BUNDLE', env.VESTA_LARGE_BUNDLE ?? '4mb'),
    bodyWorkers: integer(env, 'VESTA_BODY_WORKERS', 1, 0, 16),
    logLevel: logLevel as Config['logLevel'],
    defaultCount,
    maxCount,
    maxBundleEntries: integer(env, 'VESTA_MAX_BUNDLE_ENTRIES', 10000, 1, 1000000),
    maxJsonDepth: integer(env, 'VESTA_MAX_JSON_DEPTH', 100, 16, 1000),
    maxChainDepth: integer(env, 'VESTA_MAX_CHAIN_DEPTH', 4, 1, 8),
    maxHeaderBytes: parseSize('VESTA_MAX_HEADER_SIZE', env.VESTA_MAX_HEADER_SIZE ?? '16kb'),
    searchMaxValues: integer(env, 'VESTA_SEARCH_MAX_VALUES', 200, 1, 10000),
    searchTimeoutMs: integer(env, 'VESTA_SEARCH_TIMEOUT_MS', 10000, 100, 3600000),
    maxIncludeIterations: integer(env, 'VESTA_MAX_INCLUDE_ITERATIONS', 4, 1, 16),
    ...storeOf(loadMongo(env)),
    sqlite: {
      sync,
      cacheMiB: integer(env, 'VESTA_SQLITE_CACHE_MB', 512, 2, 65536),
      // One search worker per core: with Express's per-request cost gone (http/node-server.ts) the main thread
      // needs little CPU, and at 1.25M resources the search SQL is the limit (measured: 2 workers beat 1 there).
      readWorkers: integer(env, 'VESTA_SQLITE_READ_WORKERS', defaultReadWorkers(), 0, 64),
      prewarm: onOff(env, 'VESTA_SQLITE_PREWARM', true),
      walLimitMiB: integer(env, 'VESTA_SQLITE_WAL_LIMIT_MB', 64, 1, 65536),
      ...(env.VESTA_SQLITE_MAX_MB !== undefined && env.VESTA_SQLITE_MAX_MB !== '' ? { maxMiB: integer(env, 'VESTA_SQLITE_MAX_MB', 0, 1, 16_777_216) } : {}),
    },
    shutdownGraceSeconds: integer(env, 'VESTA_SHUTDOWN_GRACE', 10, 0, 600),
    auth: loadAuth(env, host, dataDir),
    corsOrigins: loadCors(env),
    audit: loadAudit(env, host),
  };
}
