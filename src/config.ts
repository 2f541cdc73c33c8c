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
  logLevel: 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';
  /** Default and maximum `_count` for searches and history. */
  defaultCount: number;
  maxCount: number;
  maxBundleEntries: number;
  /** Which store holds the data (store/factory.ts); its own settings are grouped under its name. */
  store: 'sqlite';
  /** Settings of the embedded SQLite store (`VESTA_SQLITE_*`); its file lives in `dataDir`. */
  sqlite: SqliteConfig;
  /** Seconds to wait for in-flight requests on SIGTERM before closing anyway. */
  shutdownGraceSeconds: number;
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
  return {
    port,
    host,
    baseUrl,
    dataDir: path.resolve(env.VESTA_DATA_DIR?.trim() || './data'),
    maxBodyBytes: parseSize('VESTA_MAX_BODY', env.VESTA_MAX_BODY ?? '16mb'),
    logLevel: logLevel as Config['logLevel'],
    defaultCount,
    maxCount,
    maxBundleEntries: integer(env, 'VESTA_MAX_BUNDLE_ENTRIES', 10000, 1, 1000000),
    store: 'sqlite',
    sqlite: {
      sync,
      cacheMiB: integer(env, 'VESTA_SQLITE_CACHE_MB', 512, 2, 65536),
      // One search worker per core: with Express's per-request cost gone (http/node-server.ts) the main thread
      // needs little CPU, and at 1.25M resources the search SQL is the limit (measured: 2 workers beat 1 there).
      readWorkers: integer(env, 'VESTA_SQLITE_READ_WORKERS', defaultReadWorkers(), 0, 64),
      prewarm: onOff(env, 'VESTA_SQLITE_PREWARM', true),
    },
    shutdownGraceSeconds: integer(env, 'VESTA_SHUTDOWN_GRACE', 10, 0, 600),
  };
}
