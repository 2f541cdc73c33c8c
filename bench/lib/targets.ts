import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerSpec } from './server-process.js';

/** The repository root, found from this compiled file's place in `dist/bench/lib/`. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Process settings every benched server runs with, as the Dockerfile runs Vesta: glibc backs malloc with
 * transparent huge pages, from one arena (only the main arena gets them in glibc 2.36). SQLite's page caches are
 * malloc'd, so a multi-GiB read cache then costs far fewer TLB misses (search throughput at 1.25M resources +10%).
 * A value the caller already exported wins.
 */
export const PROCESS_ENV: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? 'glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1',
};

/** The bare Express + SQLite server every workload is compared against. */
export const ceilingSpec: ServerSpec = {
  name: 'ceiling',
  script: path.join(repoRoot, 'dist/bench/ceiling-server.js'),
  env: (port, host, dataDir) => ({ ...PROCESS_ENV, PORT: String(port), HOST: host, DATA_DIR: dataDir }),
};

/** Vesta itself, with the same durability as the ceiling (SQLite synchronous=FULL). */
export const vestaSpec: ServerSpec = {
  name: 'vesta',
  script: path.join(repoRoot, 'dist/src/main.js'),
  env: (port, host, dataDir) => ({
    ...PROCESS_ENV,
    PORT: String(port),
    HOST: host,
    VESTA_DATA_DIR: dataDir,
    VESTA_SQLITE_SYNC: 'FULL',
    LOG_LEVEL: 'warn',
    // The data plane alone: authorization and audit each have a bench that runs them off and on side by side
    // (auth-bench.ts, audit-bench.ts), so these figures stay comparable with builds that had neither.
    VESTA_AUTH: 'off',
    VESTA_AUDIT: 'off',
  }),
};

/**
 * The Vesta builds one bench run measures side by side: this checkout's, and with `BENCH_BASELINE=<checkout>`
 * (another clone, built with `npx tsc -p tsconfig.json`) that one's as `baseline`, under the same settings, so a
 * change is judged before and after in one run on the same machine.
 */
export function vestaVariants(env: NodeJS.ProcessEnv = process.env): ServerSpec[] {
  const dir = env.BENCH_BASELINE?.trim();
  if (!dir) return [vestaSpec];
  const script = path.join(path.resolve(dir), 'dist/src/main.js');
  if (!fs.existsSync(script)) throw new Error(`BENCH_BASELINE: ${script} is not built (run npx tsc -p tsconfig.json there)`);
  return [vestaSpec, { ...vestaSpec, name: 'baseline', script }];
}

/** Whether the spec's entry script has been built. */
export function isBuilt(spec: ServerSpec): boolean {
  return fs.existsSync(spec.script);
}
