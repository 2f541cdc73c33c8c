import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capErrors, createSchemaValidator, MAX_RAW_ERRORS } from '../../../src/validation/json-schema.js';
import { MAX_ISSUES, boundIssues, createValidator } from '../../../src/validation/validator.js';

const validator = createValidator({});

const observation = (extra: Record<string, unknown>) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, ...extra });

test('60,000 invalid category entries give 100 issues and a final issue saying validation stopped', () => {
  const issues = validator.validate(observation({ category: Array.from({ length: 60_000 }, () => 1) }));
  assert.equal(issues.length, MAX_ISSUES + 1);
  assert.equal(issues[0]!.expression![0], 'Observation.category[0]');
  const last = issues[MAX_ISSUES]!;
  assert.equal(last.code, 'too-costly');
  assert.match(last.diagnostics!, /first 100 issues/);
});

test('invalid dates repeated 40,000 times give bounded issues', () => {
  const identifier = Array.from({ length: 40_000 }, () => ({ period: { start: '2020-13-45' } }));
  const issues = validator.validate(observation({ identifier }));
  assert.equal(issues.length, MAX_ISSUES + 1);
  assert.equal(issues[0]!.code, 'value');
});

test('a few more than 100 issues are reported as 100 plus the exact number left out', () => {
  const issues = validator.validate(observation({ category: Array.from({ length: 130 }, () => 1) }));
  assert.equal(issues.length, MAX_ISSUES + 1);
  assert.match(issues[MAX_ISSUES]!.diagnostics!, /30 more were found/);
});

test('the schema validator stops after a bounded number of errors, also inside nested resources', () => {
  const schema = createSchemaValidator();
  const bad = observation({ category: Array.from({ length: 5_000 }, () => 1) });
  const direct = schema.validate(bad);
  assert.ok(direct.length <= MAX_RAW_ERRORS + 2, `${direct.length} issues`);
  assert.equal(direct.at(-1)!.code, 'too-costly');
  const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: bad }] };
  const nested = schema.validate(bundle);
  assert.equal(nested.at(-1)!.code, 'too-costly');
  assert.equal(nested[0]!.expression![0], 'Bundle.entry[0].resource.category[0]');
});

test('the error cap finds the names ajv gives its error list and count in generated code', () => {
  // If ajv renames `errors`/`vErrors`, the rewrite would silently do nothing: this catches it.
  const code = 'let vErrors = null;let errors = 0;if(x){vErrors.push(e);errors++;}vErrors = vErrors.concat(y);errors = vErrors.length;';
  const capped = capErrors(code);
  assert.equal((capped.match(/vestaTooManyErrors/g) ?? []).length, 2);
});

test('boundIssues leaves 100 or fewer issues untouched', () => {
  const issues = Array.from({ length: 100 }, () => ({ severity: 'error' as const, code: 'value' as const, diagnostics: 'x' }));
  assert.equal(boundIssues(issues), issues);
});
