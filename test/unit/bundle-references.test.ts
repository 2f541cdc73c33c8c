import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPlaceholder, rewriteReferences } from '../../src/fhir/references.js';
import { ReferenceTable, restBase } from '../../src/services/bundle-references.js';
import { conditionalReference } from '../../src/services/conditional.js';

describe('rewriteReferences', () => {
  test('visits references in nested elements, arrays, extensions and contained resources with their paths', () => {
    const resource = {
      resourceType: 'Observation',
      subject: { reference: 'urn:uuid:a' },
      extension: [{ url: 'x', valueReference: { reference: 'urn:uuid:a' } }],
      contained: [{ resourceType: 'Provenance', target: [{ reference: 'urn:uuid:b' }] }],
      note: [{ text: 'reference' }],
    };
    const seen: string[] = [];
    rewriteReferences(resource, (ref, at) => {
      seen.push(`${at()}=${ref}`);
      return ref === 'urn:uuid:a' ? 'Patient/1' : undefined;
    });
    assert.deepEqual(seen, [
      'subject.reference=urn:uuid:a',
      'extension[0].valueReference.reference=urn:uuid:a',
      'contained[0].target[0].reference=urn:uuid:b',
    ]);
    assert.equal(resource.subject.reference, 'Patient/1');
    assert.equal(resource.extension[0].valueReference.reference, 'Patient/1');
    assert.equal(resource.contained[0].target[0].reference, 'urn:uuid:b');
  });

  test('replaces placeholders in narrative through the table', () => {
    const table = new ReferenceTable();
    table.set('urn:uuid:a', 'Patient/1');
    const resource = { text: { div: '<div><a href="urn:uuid:a">p</a></div>' } };
    rewriteReferences(resource, () => undefined, (div) => table.narrative(div));
    assert.equal(resource.text.div, '<div><a href="Patient/1">p</a></div>');
  });
});

describe('ReferenceTable', () => {
  test('resolves exact fullUrls and relative references against an absolute fullUrl base', () => {
    const table = new ReferenceTable();
    table.set('http://other.org/fhir/Patient/9', 'Patient/abc');
    assert.equal(table.resolve('http://other.org/fhir/Patient/9', undefined), 'Patient/abc');
    assert.equal(table.resolve('Patient/9', 'http://other.org/fhir/Observation/1'), 'Patient/abc');
    assert.equal(table.resolve('Patient/9', 'urn:uuid:x'), undefined);
    assert.equal(table.resolve('#c', 'http://other.org/fhir/Observation/1'), undefined);
  });
});

describe('reference kinds', () => {
  test('tells placeholders, conditional references and REST bases apart', () => {
    assert.ok(isPlaceholder('urn:uuid:1') && isPlaceholder('urn:oid:1.2') && !isPlaceholder('Patient/1'));
    assert.deepEqual(conditionalReference('Patient?identifier=http://x|1'), { type: 'Patient', query: [['identifier', 'http://x|1']] });
    assert.equal(conditionalReference('Patient/1'), undefined);
    assert.equal(restBase('https://h/fhir/Patient/1/_history/2'), 'https://h/fhir');
    assert.equal(restBase('urn:uuid:1'), undefined);
  });
});
