import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The folder of the official R4 examples package (a devDependency, so tests only). */
export const examplesDir = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

/** Reads one official R4 example by file name, as a fresh mutable object. */
export function example(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as Record<string, unknown>;
}
