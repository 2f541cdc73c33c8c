/**
 * The Patient compartment (FHIR R4 compartmentdefinition-patient.html) as search clauses: the restriction
 * the authorization policy ANDs into a plan for patient-context access.
 */
import type { CompartmentDefinition } from 'fhir/r4.js';
import type { Clause } from '../vocabulary/plan.js';
import type { SearchRegistry } from './parameters.js';
import { readDefinitions } from './fhir-model.js';

let params: Map<string, readonly string[]> | undefined;

function load(): Map<string, readonly string[]> {
  if (params) return params;
  const def = readDefinitions('compartmentdefinition-patient.json') as CompartmentDefinition;
  params = new Map();
  for (const r of def.resource ?? []) {
    if (r.param?.length) params.set(r.code, Object.freeze([...r.param]));
  }
  return params;
}

/** The search params that put a resource of `type` in a Patient's compartment (empty: never in it). */
export function compartmentParams(type: string): readonly string[] {
  return load().get(type) ?? [];
}

/**
 * A clause true exactly for the resources of `resourceType` in Patient `patientId`'s compartment: the OR of
 * its reference params pointing at Patient/patientId; `ids` for Patient itself; undefined when the type
 * cannot be in the compartment (the caller must then deny).
 */
export function patientCompartmentClause(registry: SearchRegistry, resourceType: string, patientId: string): Clause | undefined {
  if (resourceType === 'Patient') return { kind: 'ids', ids: [patientId] };
  const clauses: Clause[] = [];
  for (const code of compartmentParams(resourceType)) {
    const def = registry.get(resourceType, code);
    if (def?.type !== 'reference') continue;
    clauses.push({ kind: 'reference', param: { code, type: 'reference' }, targetType: 'Patient', id: patientId });
  }
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { kind: 'or', clauses };
}
