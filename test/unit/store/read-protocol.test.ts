import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packPage, unpackPage } from '../../../src/store/sqlite/read-protocol.js';
import type { Page, StoredVersion } from '../../../src/store/port.js';

const version = (id: string, deleted: boolean): StoredVersion => ({
  resourceType: 'Observation', id, versionId: deleted ? '2' : '1', lastUpdated: '2026-12-06T10:00:00.000Z',
  deleted, method: deleted ? 'DELETE' : 'POST', json: deleted ? '' : `{"resourceType":"Observation","id":"${id}"}`,
});

test('a page crosses to the main thread unchanged: every field of every version, cursors and total', () => {
  const page: Page<StoredVersion> = { items: [version('a', false), version('b', true), version('c', false)], next: 'n1', previous: 'p1', total: 42 };
  const packed = packPage(page);
  assert.equal(packed.rows.length, 21);
  assert.ok(packed.rows.every((v) => typeof v === 'string' || typeof v === 'number'), 'only flat values cross');
  assert.deepEqual(unpackPage(structuredClone(packed)), page);
});

test('an empty page without cursors or total stays without them', () => {
  const back = unpackPage(structuredClone(packPage({ items: [] })));
  assert.deepEqual(back, { items: [] });
  assert.equal('total' in back, false);
  assert.equal('next' in back, false);
});
