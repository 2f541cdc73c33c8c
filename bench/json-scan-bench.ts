/**
 * Cost of the JSON body checks (duplicate keys, depth, exact numbers) next to JSON.parse itself, per body:
 * `node dist/bench/json-scan-bench.js`. The checks run on every write, so they must stay a small share.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { scanJson } from '../src/fhir/json-text.js';

const dir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
const rows: { file: string; bytes: number; parseUs: number; scanUs: number }[] = [];
for (const file of ['Patient-example.json', 'Observation-example.json', 'Bundle-bundle-example.json', 'Questionnaire-qs1.json']) {
  const text = JSON.stringify(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  const runs = 20_000;
  const time = (f: () => unknown) => {
    for (let i = 0; i < 2_000; i++) f();
    const t = performance.now();
    for (let i = 0; i < runs; i++) f();
    return Number((((performance.now() - t) * 1000) / runs).toFixed(2));
  };
  rows.push({ file, bytes: text.length, parseUs: time(() => JSON.parse(text)), scanUs: time(() => scanJson(text, 100)) });
}
console.table(rows);
