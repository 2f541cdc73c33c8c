/** Shared helpers for the search unit tests: the registry (built once) and official R4 examples. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createSearchRegistry, type SearchRegistry } from '../../../src/search/parameters.js';

const require = createRequire(import.meta.url);
let registry: SearchRegistry | undefined;

/** The registry, built once per test process. */
export function testRegistry(): SearchRegistry {
  return (registry ??= createSearchRegistry());
}

/** The directory of the official R4 examples (dev dependency). */
export const EXAMPLES_DIR = require.resolve('hl7.fhir.r4.examples/package.json').replace(/package\.json$/, '');

/** One official R4 example resource by file name (e.g. `Patient-example.json`). */
export function example(file: string): { resourceType: string; [k: string]: unknown } {
  return JSON.parse(readFileSync(EXAMPLES_DIR + file, 'utf8')) as { resourceType: string };
}

/** Test base URL of "this server". */
export const BASE = 'https://vesta.example/fhir';
