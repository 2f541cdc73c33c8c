/** Knobs shared by every bench, read from the environment once. */
export interface BenchSettings {
  /** Seconds each measured autocannon run lasts (`BENCH_DURATION`, default 10). */
  durationSec: number;
  /** Seconds of unmeasured load before the first measured run of each workload, to let the JIT settle (`BENCH_WARMUP`, default 2). */
  warmupSec: number;
  /** Concurrent connections (`BENCH_CONNECTIONS`, default 16). */
  connections: number;
  /** Patients stored before measuring (`BENCH_PRELOAD`, default 10000). */
  preload: number;
  /** Measured runs per workload and server, alternating which server goes first; the median is kept (`BENCH_ROUNDS`, default 3). */
  rounds: number;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, allowZero = false): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/** Reads the bench settings; throws naming the variable when one is malformed. */
export function loadBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    durationSec: positive(env, 'BENCH_DURATION', 10),
    warmupSec: positive(env, 'BENCH_WARMUP', 2, true),
    connections: Math.floor(positive(env, 'BENCH_CONNECTIONS', 16)),
    preload: Math.floor(positive(env, 'BENCH_PRELOAD', 10_000)),
    rounds: Math.floor(positive(env, 'BENCH_ROUNDS', 3)),
  };
}
