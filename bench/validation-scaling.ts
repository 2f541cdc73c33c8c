/**
 * Validation time versus body size for invalid bodies (issue 10 item 6): `node dist/bench/validation-scaling.js`.
 * Each row is an Observation whose `category` holds n invalid entries, then one whose identifiers hold n invalid
 * dates; the time should grow linearly with the body size (it grew with its square before the error cap).
 */
import { createValidator } from '../src/validation/validator.js';

const validator = createValidator({});
const sizes = [1_000, 10_000, 60_000, 300_000, 1_000_000];

function time(resource: unknown): number {
  const t = performance.now();
  validator.validate(resource);
  return performance.now() - t;
}

const rows: { case: string; n: number; kb: number; ms: number }[] = [];
for (const n of sizes) {
  const category = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, category: Array.from({ length: n }, () => 1) };
  const dates = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, identifier: Array.from({ length: n }, () => ({ period: { start: '2020-13-45' } })) };
  const valid = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, category: Array.from({ length: n }, () => ({ text: 'c' })) };
  for (const [name, r] of [['invalid category', category], ['invalid dates', dates], ['valid category', valid]] as const) {
    time(r); // first call compiles the type
    rows.push({ case: name, n, kb: Math.round(JSON.stringify(r).length / 1024), ms: Number(time(r).toFixed(1)) });
  }
}
console.table(rows);
