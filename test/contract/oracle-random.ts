/** The search oracle's seeded randomness: the shared PRNG and the seed choice. */
export { Random } from '../support/random.js';

/** The seed to use: `VESTA_ORACLE_SEED` when set (to replay a failure), else a fixed default. */
export function oracleSeed(fallback: number): number {
  const env = process.env['VESTA_ORACLE_SEED'];
  if (env === undefined || env === '') return fallback;
  const n = Number(env);
  if (!Number.isInteger(n)) throw new Error(`VESTA_ORACLE_SEED must be an integer, got ${env}`);
  return n;
}
