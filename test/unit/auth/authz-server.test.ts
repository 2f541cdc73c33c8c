import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedScopes, describeScope, isSubset } from '../../../src/auth/server/scope-rules.js';
import { hashSecret, s256, sameSecret, verifySecret } from '../../../src/auth/server/secrets.js';
import { OAuthError } from '../../../src/auth/server/oauth-error.js';
import { esc } from '../../../src/http/authz/pages.js';

const TYPES = new Set(['Patient', 'Observation', 'Condition', 'MedicationRequest']);

test('PKCE S256 matches RFC 7636 appendix B', () => {
  assert.equal(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('scrypt hashes are salted, verify only the right secret, and a malformed hash never matches', async () => {
  const h1 = await hashSecret('correct horse');
  const h2 = await hashSecret('correct horse');
  assert.notEqual(h1, h2);
  assert.match(h1, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifySecret('correct horse', h1), true);
  assert.equal(await verifySecret('correct horsE', h1), false);
  assert.equal(await verifySecret('correct horse', 'plain-text'), false);
  assert.equal(await verifySecret('correct horse', h1.slice(0, -4)), false);
  assert.equal(sameSecret('abc', 'abc'), true);
  assert.equal(sameSecret('abc', 'abd'), false);
  assert.equal(sameSecret('abc', 'abcd'), false);
});

test('a client gets only requested scopes its registration covers; never widened', () => {
  const reg = 'launch/patient openid fhirUser patient/*.rs patient/Observation.cruds';
  assert.deepEqual(allowedScopes('patient/Observation.rs patient/Condition.read openid', reg, TYPES, false), ['patient/Observation.rs', 'patient/Condition.read', 'openid']);
  assert.deepEqual(allowedScopes('patient/Condition.cruds patient/Observation.c', reg, TYPES, false), ['patient/Observation.c']);
  assert.deepEqual(allowedScopes('user/*.rs offline_access made/up', reg, TYPES, false), []);
  assert.deepEqual(allowedScopes('system/*.rs', 'system/*.rs', TYPES, false), [], 'system/ scopes only for backend clients');
  assert.deepEqual(allowedScopes('system/Patient.rs patient/*.rs openid', 'system/*.rs patient/*.rs openid', TYPES, true), ['system/Patient.rs']);
  const granular = 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
  assert.deepEqual(allowedScopes(granular, 'patient/Observation.rs', TYPES, false), [granular]);
  assert.deepEqual(allowedScopes('patient/Observation.rs', granular, TYPES, false), [], 'a granular registration does not cover the whole type');
  assert.equal(isSubset(['a'], ['a', 'b']), true);
  assert.equal(isSubset(['a', 'c'], ['a', 'b']), false);
});

test('scopes read in plain words on the consent page', () => {
  assert.equal(describeScope('patient/Observation.rs', TYPES), 'Read your lab results, vital signs and other observations');
  assert.equal(describeScope('patient/MedicationRequest.cu', TYPES), 'Add to and update your medications');
  assert.equal(describeScope('user/Condition.cruds', TYPES), 'Read, add to, update and delete the conditions and diagnoses you have access to');
  assert.equal(describeScope('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', TYPES),
    'Read your lab results, vital signs and other observations (only laboratory)');
  assert.equal(describeScope('offline_access', TYPES), 'Keep access when you are not using it, until you revoke it');
});

test('OAuth errors carry the status RFC 6749 §5.2 names', () => {
  assert.equal(new OAuthError('invalid_client', 'x').status, 401);
  for (const code of ['invalid_grant', 'invalid_request', 'unsupported_grant_type', 'invalid_scope'] as const) assert.equal(new OAuthError(code, 'x').status, 400);
  assert.deepEqual(new OAuthError('invalid_grant', 'why').body(), { error: 'invalid_grant', error_description: 'why' });
});

test('page text is escaped', () => {
  assert.equal(esc(`<script>"x" & 'y'</script>`), '&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;');
});
