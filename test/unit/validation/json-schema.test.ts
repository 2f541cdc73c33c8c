import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createSchemaValidator } from '../../../src/validation/json-schema.js';
import { pointerToExpression } from '../../../src/validation/ajv-issues.js';
import { example, examplesDir } from './load-example.js';

const schema = createSchemaValidator();

const validPatient = () => example('Patient-example.json');

test('official examples of Patient, Observation and MedicationRequest pass', () => {
  const files = ['Patient-example.json', 'Observation-example.json', 'Observation-blood-pressure.json'];
  files.push(...readdirSync(examplesDir).filter((f) => f.startsWith('MedicationRequest-')));
  assert.ok(files.length > 5);
  for (const file of files) assert.deepEqual(schema.validate(example(file)), [], file);
});

test('a Bundle of official resources with contained resources passes', () => {
  const bundle = example('Bundle-bundle-example.json');
  assert.deepEqual(schema.validate(bundle), []);
  assert.deepEqual(schema.validate(example('MedicationRequest-medrx0301.json')), []);
});

test('an unknown element is reported with its path', () => {
  const issues = schema.validate({ ...validPatient(), foo: 1 });
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.code, 'structure');
  assert.match(issues[0]?.diagnostics ?? '', /^Unknown element 'foo'/);
  assert.deepEqual(issues[0]?.expression, ['Patient.foo']);
});

test('Medplum-only elements such as Meta.project and Binary.url are unknown', () => {
  const meta = schema.validate({ resourceType: 'Patient', meta: { project: 'p1', compartment: [] } });
  assert.deepEqual(meta.map((i) => i.expression?.[0]).sort(), ['Patient.meta.compartment', 'Patient.meta.project']);
  const binary = schema.validate({ resourceType: 'Binary', contentType: 'text/plain', url: 'http://x' });
  assert.deepEqual(binary.map((i) => i.expression?.[0]), ['Binary.url']);
});

test('a wrong type is a structure error', () => {
  const issues = schema.validate({ resourceType: 'Patient', active: 'yes', name: 'John' });
  assert.deepEqual(
    issues.map((i) => [i.code, i.expression?.[0]]).sort(),
    [['structure', 'Patient.active'], ['structure', 'Patient.name']],
  );
  assert.match(issues.find((i) => i.expression?.[0] === 'Patient.active')?.diagnostics ?? '', /expected boolean/);
});

test('a string where a complex type is expected is rejected', () => {
  const issues = schema.validate({ resourceType: 'Patient', name: ['John'] });
  assert.deepEqual(issues.map((i) => i.expression?.[0]), ['Patient.name[0]']);
});

test('a bad date is a value error naming the element', () => {
  const issues = schema.validate({ ...validPatient(), birthDate: '1974-13-25' });
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.code, 'value');
  assert.match(issues[0]?.diagnostics ?? '', /^Invalid value for Patient\.birthDate: must match the FHIR date format/);
  assert.doesNotMatch(issues[0]?.diagnostics ?? '', /1974/, 'the value itself may be PHI and is not echoed');
});

test('a code outside a required binding is code-invalid', () => {
  const issues = schema.validate({ ...validPatient(), gender: 'male2' });
  assert.deepEqual(issues, [{
    severity: 'error',
    code: 'code-invalid',
    diagnostics: 'Invalid code for Patient.gender: must be one of male, female, other, unknown',
    expression: ['Patient.gender'],
  }]);
});

test('nested problems carry FHIRPath-style paths with indexes', () => {
  const patient = { resourceType: 'Patient', name: [{ family: 'A' }, { given: ['B', 7] }], contact: [{ telecom: [{ system: 'pager2' }] }] };
  const paths = schema.validate(patient).map((i) => i.expression?.[0]).sort();
  assert.deepEqual(paths, ['Patient.contact[0].telecom[0].system', 'Patient.name[1].given[1]']);
});

test('contained resources are validated against their own type', () => {
  const patient = { resourceType: 'Patient', contained: [{ resourceType: 'Organization', id: 'o', nme: 'x' }, { resourceType: 'Project' }] };
  const issues = schema.validate(patient);
  assert.deepEqual(issues.map((i) => i.expression?.[0]), ['Patient.contained[0].nme', 'Patient.contained[1]']);
  assert.match(issues[1]?.diagnostics ?? '', /'Project' is not an R4 resource type/);
});

test('resources in Bundle entries are validated and located', () => {
  const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Observation', status: 'done', code: {} } }] };
  const issues = schema.validate(bundle);
  assert.deepEqual(issues.map((i) => [i.code, i.expression?.[0]]), [['code-invalid', 'Bundle.entry[0].resource.status']]);
});

test('a missing required element is reported', () => {
  const issues = schema.validate({ resourceType: 'Observation', status: 'final' });
  assert.deepEqual(issues.map((i) => [i.code, i.expression?.[0]]), [['required', 'Observation.code']]);
});

test('integers must be whole 32-bit numbers', () => {
  const bad = { resourceType: 'Patient', multipleBirthInteger: 1.5 };
  assert.deepEqual(schema.validate(bad).map((i) => i.expression?.[0]), ['Patient.multipleBirthInteger']);
  assert.deepEqual(schema.validate({ resourceType: 'Patient', multipleBirthInteger: 2 }), []);
});

test('strings with a no-break space are valid as in the Java-based reference schema', () => {
  assert.deepEqual(schema.validate({ resourceType: 'Patient', name: [{ text: 'Ann\u00a0Lee' }] }), []);
  assert.equal(schema.validate({ resourceType: 'Patient', name: [{ text: '' }] }).length, 1);
});

test('resourceType problems are errors and do not throw', () => {
  for (const input of [null, 42, 'Patient', [], {}, { resourceType: 7 }, { resourceType: 'Bot' }, { resourceType: 'patient' }]) {
    const issues = schema.validate(input);
    assert.equal(issues.length, 1, JSON.stringify(input));
    assert.equal(issues[0]?.severity, 'error');
    assert.deepEqual(issues[0]?.expression, ['resourceType']);
  }
});

test('absurdly deep nesting yields an issue instead of a crash', () => {
  let ext: Record<string, unknown> = { url: 'http://x', valueString: 'v' };
  for (let i = 0; i < 20000; i++) ext = { url: 'http://x', extension: [ext] };
  const issues = schema.validate({ resourceType: 'Patient', extension: [ext] });
  assert.ok(issues.length === 0 || issues[0]?.code === 'too-costly');
  let nested: Record<string, unknown> = { resourceType: 'Patient' };
  for (let i = 0; i < 12; i++) nested = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: nested }] };
  const deep = schema.validate(nested);
  assert.equal(deep.length, 1);
  assert.match(deep[0]?.diagnostics ?? '', /nested deeper than 8/);
});

test('JSON pointers become FHIRPath-style expressions', () => {
  assert.equal(pointerToExpression('Patient', ''), 'Patient');
  assert.equal(pointerToExpression('Patient', '/name/0/given/1'), 'Patient.name[0].given[1]');
  assert.equal(pointerToExpression('Bundle', '/entry/10/resource/a~1b~0c'), 'Bundle.entry[10].resource.a/b~c');
});

test('a date that matches the pattern but does not exist on the calendar is rejected', () => {
  const issues = schema.validate({ resourceType: 'Patient', birthDate: '1980-02-30' });
  assert.deepEqual(issues.map((i) => [i.code, i.expression?.[0]]), [['value', 'Patient.birthDate']]);
  assert.deepEqual(schema.validate({ resourceType: 'Patient', birthDate: '2024-02-29' }), []);
  const inline = schema.validate({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: '2021-04-31T10:00:00Z' });
  assert.deepEqual(inline.map((i) => i.expression?.[0]), ['Observation.effectiveDateTime']);
});

test('an empty array is rejected because FHIR JSON forbids them', () => {
  const issues = schema.validate({ resourceType: 'Patient', name: [] });
  assert.deepEqual(issues.map((i) => [i.code, i.expression?.[0]]), [['structure', 'Patient.name']]);
});

test('narratives with scripts, event handlers or script URLs are rejected, plain and image narratives pass', () => {
  const div = (inner: string) => ({ resourceType: 'Patient', text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>` } });
  for (const bad of ['<script>alert(1)</script>', '<p onclick="x()">hi</p>', '<a href="javascript:alert(1)">x</a>', '<iframe src="x"></iframe>']) {
    assert.deepEqual(schema.validate(div(bad)).map((i) => i.expression?.[0]), ['Patient.text.div'], bad);
  }
  assert.deepEqual(schema.validate(div('<p>Peter <b>Chalmers</b></p><img src="data:image/png;base64,AAAA"/>')), []);
  assert.equal(schema.validate({ resourceType: 'Patient', text: { status: 'generated', div: '<p>no div root</p>' } }).length, 1);
});
