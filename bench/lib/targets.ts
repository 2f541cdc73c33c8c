import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerSpec } from './server-process.js';

/** The repository root, found from this compiled file's place in `dist/bench/lib/`. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The bare Express + SQLite server every workload is compared against. */
export const ceilingSpec: ServerSpec = {
  name: 'ceiling',
  script: path.join(repoRoot, 'dist/bench/ceiling-server.js'),
  env: (port, host, dataDir) => ({ PORT: String(port), HOST: host, DATA_DIR: dataDir }),
};

/** Vesta itself, with the same durability as the ceiling (SQLite synchronous=FULL). */
export const vestaSpec: ServerSpec = {
  name: 'vesta',
  script: path.join(repoRoot, 'dist/src/main.js'),
  env: (port, host, dataDir) => ({
    PORT: String(port),
    HOST: host,
    VESTA_DATA_DIR: dataDir,
    VESTA_SQLITE_SYNC: 'FULL',
    LOG_LEVEL: 'warn',
  }),
};

/** Whether the spec's entry script has been built. */
export function isBuilt(spec: ServerSpec): boolean {
  return fs.existsSync(spec.script);
}
