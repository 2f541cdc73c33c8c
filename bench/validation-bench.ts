import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createValidator } from '../src/validation/validator.js';
import { SYNTHEA_DIR } from '../test/support/shared-data.js';

/** One measured resource: validation cost per call in microseconds. */
export interface ValidationBenchResult {
  name: string;
  usMean: number;
  usP50: number;
  usP99: number;
}


const WARMUP = 2_000;
const RUNS = 20_000;

function officialExample(file: string): Record<string, unknown> {
  const dir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
}

/** The first resource of each wanted type in the Synthea transaction Bundles, when that data set is present. */
function fromSynthea(types: readonly string[]): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  if (!existsSync(SYNTHEA_DIR)) return found;
  for (const file of readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const bundle = JSON.parse(readFileSync(join(SYNTHEA_DIR, file), 'utf8')) as { entry?: { resource?: Record<string, unknown> }[] };
    for (const entry of bundle.entry ?? []) {
      const type = entry.resource?.resourceType;
      if (typeof type === 'string' && types.includes(type) && !found.has(type)) found.set(type, entry.resource as Record<string, unknown>);
    }
    if (found.size === types.length) break;
  }
  return found;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

/** Measures validation cost per resource (mean, p50, p99 in µs after warm-up) and prints the start-up cost. */
export async function runValidationBench(): Promise<ValidationBenchResult[]> {
  const types = ['Patient', 'Observation', 'MedicationRequest'] as const;
  const synthea = fromSynthea(types);
  const fallback: Record<(typeof types)[number], string> = {
    Patient: 'Patient-example.json',
    Observation: 'Observation-example.json',
    MedicationRequest: 'MedicationRequest-medrx0302.json',
  };
  const t0 = performance.now();
  const validator = createValidator({});
  const startupMs = performance.now() - t0;
  console.log(`validator start-up: ${startupMs.toFixed(1)} ms (schema load and prune, profiles)`);

  const results: ValidationBenchResult[] = [];
  for (const type of types) {
    const source = synthea.has(type) ? 'synthea' : 'example';
    const resource = synthea.get(type) ?? officialExample(fallback[type]);
    const c0 = performance.now();
    const issues = validator.validate(resource);
    console.log(`${type}: first validation (ajv compile of the type) ${(performance.now() - c0).toFixed(1)} ms, ${issues.length} issue(s)`);
    for (let i = 0; i < WARMUP; i++) validator.validate(resource);
    const samples = new Float64Array(RUNS);
    for (let i = 0; i < RUNS; i++) {
      const s = process.hrtime.bigint();
      validator.validate(resource);
      samples[i] = Number(process.hrtime.bigint() - s) / 1000;
    }
    const mean = samples.reduce((a, b) => a + b, 0) / RUNS;
    samples.sort();
    results.push({
      name: `${type} (${source}, ${JSON.stringify(resource).length} bytes)`,
      usMean: Number(mean.toFixed(2)),
      usP50: Number(percentile(samples, 0.5).toFixed(2)),
      usP99: Number(percentile(samples, 0.99).toFixed(2)),
    });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await runValidationBench();
  console.table(results);
}
