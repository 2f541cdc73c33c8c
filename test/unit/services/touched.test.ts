import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIndexer, createSearchRegistry } from '../../../src/search/index.js';
import { TouchedResources } from '../../../src/services/touched.js';
import type { StoredVersion } from '../../../src/vocabulary/versions.js';

const indexer = createIndexer(createSearchRegistry(), { baseUrl: 'http://example.org/fhir' });
const touched = new TouchedResources(indexer);

const version = (resource: { resourceType: string; id: string }): StoredVersion => ({
  resourceType: resource.resourceType, id: resource.id, versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z', deleted: false,
  method: 'POST', json: JSON.stringify(resource),
});

test('the Patients of a version read from its index rows are those read from its JSON', () => {
  const resources = [
    { resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Patient/p2' }, { reference: 'Practitioner/d' }] },
    { resourceType: 'Encounter', id: 'e', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'http://example.org/fhir/Patient/p3' } },
    { resourceType: 'Patient', id: 'p9' },
    { resourceType: 'Organization', id: 'org', name: 'Nowhere' },
  ];
  for (const r of resources) {
    const v = version(r);
    assert.deepEqual(touched.ofIndexed(v, indexer.extract(r)).patients, touched.of(v).patients, r.resourceType);
  }
  assert.deepEqual([...touched.ofIndexed(version(resources[0]!), indexer.extract(resources[0]!)).patients].sort(), ['p1', 'p2']);
});
