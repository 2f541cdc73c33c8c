import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseScope, parseScopes, scopeText } from '../../../src/auth/scopes.js';

const TYPES = new Set(['Patient', 'Observation', 'Condition', 'MedicationRequest']);
const grant = (s: string) => parseScope(s, TYPES);

describe('SMART scopes (App Launch 2.x scopes-and-launch-context)', () => {
  test('v1 scopes read as v2 letters: read is rs, write is cud, * is cruds', () => {
    assert.deepEqual(grant('patient/Observation.read'), { context: 'patient', resourceType: 'Observation', permissions: 'rs' });
    assert.deepEqual(grant('user/Condition.write'), { context: 'user', resourceType: 'Condition', permissions: 'cud' });
    assert.deepEqual(grant('system/*.*'), { context: 'system', resourceType: '*', permissions: 'cruds' });
    assert.deepEqual(grant('patient/*.read'), { context: 'patient', resourceType: '*', permissions: 'rs' });
  });

  test('v2 scopes take any ordered subset of cruds', () => {
    for (const letters of ['c', 'r', 'rs', 'cud', 'cruds', 'ds', 'us']) {
      assert.equal(grant(`patient/Observation.${letters}`)?.permissions, letters, letters);
    }
  });

  test('out-of-order, repeated or unknown letters are not scopes', () => {
    for (const bad of ['patient/Observation.sr', 'patient/Observation.rr', 'patient/Observation.x', 'patient/Observation.', 'patient/Observation.readx']) {
      assert.equal(grant(bad), undefined, bad);
    }
  });

  test('granular v2 scopes keep their query as a restriction', () => {
    assert.deepEqual(grant('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory'), {
      context: 'patient', resourceType: 'Observation', permissions: 'rs',
      query: [['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory']],
    });
  });

  test('a query on a v1 scope, on every type, or an empty one is not read (it would widen nothing, so it grants nothing)', () => {
    assert.equal(grant('patient/Observation.read?category=laboratory'), undefined);
    assert.equal(grant('patient/*.rs?category=laboratory'), undefined);
    assert.equal(grant('patient/Observation.rs?'), undefined);
    assert.equal(grant('patient/Observation.rs?category='), undefined);
  });

  test('unknown contexts and resource types are not scopes', () => {
    assert.equal(grant('admin/Observation.rs'), undefined);
    assert.equal(grant('patient/Unicorn.rs'), undefined);
    assert.equal(grant('Patient/Observation.rs'), undefined);
  });

  test('a scope string is split into grants, launch and identity scopes, and ignored ones', () => {
    const parsed = parseScopes('launch/patient openid fhirUser offline_access patient/Observation.rs  user/*.cruds patient/Nope.rs weird', TYPES);
    assert.deepEqual(parsed.grants.map(scopeText), ['patient/Observation.rs', 'user/*.cruds']);
    assert.deepEqual(parsed.other, ['launch/patient', 'openid', 'fhirUser', 'offline_access']);
    assert.deepEqual(parsed.ignored, ['patient/Nope.rs', 'weird']);
  });

  test('an absent or empty scope grants nothing', () => {
    assert.deepEqual(parseScopes(undefined, TYPES).grants, []);
    assert.deepEqual(parseScopes('  ', TYPES).grants, []);
  });
});
