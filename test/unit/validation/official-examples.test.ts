import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createSchemaValidator } from '../../../src/validation/json-schema.js';
import { example, examplesDir } from './load-example.js';

test('every official R4 example passes except the one whose id exceeds 64 characters', () => {
  const schema = createSchemaValidator();
  const failing: string[] = [];
  let count = 0;
  for (const file of readdirSync(examplesDir)) {
    if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.')) continue;
    const resource = example(file);
    if (typeof resource.resourceType !== 'string') continue;
    count++;
    if (schema.validate(resource).length > 0) failing.push(file);
  }
  assert.ok(count > 5000, `only ${count} examples found`);
  assert.deepEqual(failing, ['SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json']);
});
