import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createValidator } from '../../../src/validation/validator.js';
import { R4_RESOURCE_TYPES } from '../../../src/validation/resource-types.js';
import { example } from './load-example.js';

const VESTA_PATIENT = 'http://vesta.dev/fhir/StructureDefinition/vesta-patient';
const validator = createValidator({});

const profiled = (extra: Record<string, unknown>) => ({
  resourceType: 'Patient',
  meta: { profile: [VESTA_PATIENT] },
  identifier: [{ system: 'urn:x', value: '1' }],
  name: [{ family: 'Lee' }],
  ...extra,
});

test('the validator exposes the R4 types and the repository profiles', () => {
  assert.equal(validator.resourceTypes, R4_RESOURCE_TYPES);
  assert.deepEqual(validator.profileUrls, [VESTA_PATIENT]);
});

test('a Patient conforming to vesta-patient has no issues', () => {
  assert.deepEqual(validator.validate(profiled({})), []);
  assert.deepEqual(validator.validate(example('Patient-example.json')), []);
});

test('vesta-patient requires at least one identifier and one name', () => {
  const issues = validator.validate(profiled({ identifier: undefined, name: undefined }));
  assert.deepEqual(issues.map((i) => [i.severity, i.code, i.expression?.[0]]), [
    ['error', 'required', 'Patient.identifier'],
    ['error', 'required', 'Patient.name'],
  ]);
  assert.match(issues[0]?.diagnostics ?? '', /requires at least 1/);
});

test('the vesta-patient invariant reports each failing name', () => {
  const issues = validator.validate(profiled({ name: [{ family: 'A' }, { text: 'only text' }, { given: ['B'] }] }));
  assert.deepEqual(issues.map((i) => [i.code, i.expression?.[0]]), [['invariant', 'Patient.name[1]']]);
  assert.match(issues[0]?.diagnostics ?? '', /^Constraint vesta-pat-1 failed/);
});

test('an unknown profile is a warning, not an error', () => {
  const issues = validator.validate({ resourceType: 'Patient', meta: { profile: ['http://example.org/StructureDefinition/nope'] } });
  assert.deepEqual(issues.map((i) => [i.severity, i.expression?.[0]]), [['warning', 'Patient.meta.profile[0]']]);
});

test('schema errors and profile errors are reported together', () => {
  const issues = validator.validate(profiled({ gender: 'male2', identifier: undefined }));
  assert.deepEqual(issues.map((i) => i.code).sort(), ['code-invalid', 'required']);
});

test('a profile for another type is an error on meta.profile', () => {
  const issues = validator.validate({ resourceType: 'Observation', status: 'final', code: {}, meta: { profile: [VESTA_PATIENT] } });
  assert.deepEqual(issues.map((i) => [i.severity, i.expression?.[0]]), [['error', 'Observation.meta.profile']]);
});

test('non-objects and unknown resource types are errors', () => {
  assert.equal(validator.validate('x')[0]?.severity, 'error');
  assert.match(validator.validate({ resourceType: 'SubscriptionStatus' })[0]?.diagnostics ?? '', /not an R4 resource type/);
});

test('profiles from a custom folder check max cardinality, fixed and pattern values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vesta-profiles-'));
  const url = 'http://example.org/StructureDefinition/strict-obs';
  writeFileSync(join(dir, 'strict-obs.json'), JSON.stringify({
    resourceType: 'StructureDefinition', url, type: 'Observation', kind: 'resource', derivation: 'constraint',
    snapshot: { element: [
      { id: 'Observation', path: 'Observation', min: 0, max: '*', base: { path: 'Observation', min: 0, max: '*' } },
      { id: 'Observation.status', path: 'Observation.status', min: 1, max: '1', base: { path: 'Observation.status', min: 1, max: '1' }, fixedCode: 'final' },
      { id: 'Observation.category', path: 'Observation.category', min: 0, max: '1', base: { path: 'Observation.category', min: 0, max: '*' },
        patternCodeableConcept: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] } },
    ] },
  }));
  const v = createValidator({ profilesDir: dir });
  assert.deepEqual(v.profileUrls, [url]);
  const vital = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] };
  const ok = { resourceType: 'Observation', meta: { profile: [url] }, status: 'final', code: { text: 'x' }, category: [vital] };
  assert.deepEqual(v.validate(ok), []);
  const bad = { ...ok, status: 'amended', category: [vital, { text: 'other' }] };
  assert.deepEqual(v.validate(bad).map((i) => [i.code, i.expression?.[0]]), [
    ['value', 'Observation.status'],
    ['structure', 'Observation.category'],
    ['value', 'Observation.category[1]'],
  ]);
});
