import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer, steppingClock } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { SAMPLE_TYPES, sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ clock: steppingClock() });
});
after(async () => {
  await srv.close();
});

for (const type of SAMPLE_TYPES) {
  describe(`${type} read, vread, create, update and delete over HTTP`, () => {
    let id = '';

    test(`creates a ${type} with 201, Location, ETag, Last-Modified and the FHIR JSON content type`, async () => {
      const res = await fhir('POST', `${srv.base}/${type}`, { body: sample(type) });
      assert.equal(res.status, 201, res.text);
      id = res.body.id;
      assert.match(id, /^[A-Za-z0-9\-.]{1,64}$/);
      assert.equal(res.headers.get('location'), `${srv.base}/${type}/${id}/_history/1`);
      assert.equal(res.headers.get('etag'), 'W/"1"');
      assert.equal(res.headers.get('content-type'), FHIR_JSON);
      const lm = res.headers.get('last-modified');
      assert.ok(lm && !Number.isNaN(Date.parse(lm)), `Last-Modified is an HTTP date: ${lm}`);
      assert.equal(new Date(lm).toUTCString(), lm);
      assert.equal(Math.floor(Date.parse(res.body.meta.lastUpdated) / 1000) * 1000, Date.parse(lm));
      assert.equal(res.body.resourceType, type);
      assert.equal(res.body.meta.versionId, '1');
    });

    test(`reads the ${type} back with its version headers`, async () => {
      const res = await fhir('GET', `${srv.base}/${type}/${id}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('etag'), 'W/"1"');
      assert.equal(res.headers.get('content-type'), FHIR_JSON);
      assert.ok(res.headers.get('last-modified'));
      assert.equal(res.body.id, id);
      assert.equal(res.body.meta.versionId, '1');
      const { id: _i, meta: _m, ...rest } = res.body;
      assert.deepEqual(rest, sample(type));
    });

    test(`updates the ${type} with 200 and an incremented version`, async () => {
      const res = await fhir('PUT', `${srv.base}/${type}/${id}`, { body: sample(type, { id, language: 'en' }) });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('etag'), 'W/"2"');
      assert.equal(res.body.meta.versionId, '2');
      assert.equal(res.body.language, 'en');
      assert.equal(res.headers.get('location'), null);
      const again = await fhir('GET', `${srv.base}/${type}/${id}`);
      assert.equal(again.body.meta.versionId, '2');
      assert.equal(again.body.language, 'en');
    });

    test(`vreads both versions of the ${type}`, async () => {
      const v1 = await fhir('GET', `${srv.base}/${type}/${id}/_history/1`);
      assert.equal(v1.status, 200);
      assert.equal(v1.headers.get('etag'), 'W/"1"');
      assert.equal(v1.body.meta.versionId, '1');
      assert.equal(v1.body.language, undefined);
      const v2 = await fhir('GET', `${srv.base}/${type}/${id}/_history/2`);
      assert.equal(v2.status, 200);
      assert.equal(v2.body.language, 'en');
    });

    test(`returns 404 for an unknown version of the ${type}`, async () => {
      assertOutcome(await fhir('GET', `${srv.base}/${type}/${id}/_history/9`), { status: 404, code: 'not-found', diagnostics: 'Version 9' });
    });

    test(`deletes the ${type} as a new version, after which read is 410`, async () => {
      const del = await fhir('DELETE', `${srv.base}/${type}/${id}`);
      assert.equal(del.status, 200, del.text);
      assert.equal(del.headers.get('etag'), 'W/"3"');
      assert.equal(del.body.resourceType, 'OperationOutcome');
      assertOutcome(await fhir('GET', `${srv.base}/${type}/${id}`), { status: 410, code: 'deleted', diagnostics: 'deleted' });
    });

    test(`records the ${type} deletion in its history with request.method DELETE`, async () => {
      const res = await fhir('GET', `${srv.base}/${type}/${id}/_history`);
      assert.equal(res.status, 200);
      assert.equal(res.body.type, 'history');
      const entries = res.body.entry as { request: { method: string }; resource?: unknown; response: { etag: string } }[];
      assert.deepEqual(entries.map((e) => e.request.method), ['DELETE', 'PUT', 'POST']);
      assert.deepEqual(entries.map((e) => e.response.etag), ['W/"3"', 'W/"2"', 'W/"1"']);
      assert.equal(entries[0].resource, undefined);
    });

    test(`still vreads old versions of the deleted ${type} and answers 410 for the deletion version`, async () => {
      const v2 = await fhir('GET', `${srv.base}/${type}/${id}/_history/2`);
      assert.equal(v2.status, 200);
      assert.equal(v2.body.meta.versionId, '2');
      assertOutcome(await fhir('GET', `${srv.base}/${type}/${id}/_history/3`), { status: 410, code: 'deleted' });
    });

    test(`deleting the deleted ${type} again succeeds without a new version`, async () => {
      const res = await fhir('DELETE', `${srv.base}/${type}/${id}`);
      assert.equal(res.status, 200, res.text);
      const hist = await fhir('GET', `${srv.base}/${type}/${id}/_history`);
      assert.equal(hist.body.entry.length, 3);
    });

    test(`update after delete recreates the ${type} with 201 and the next version`, async () => {
      const res = await fhir('PUT', `${srv.base}/${type}/${id}`, { body: sample(type, { id }) });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.meta.versionId, '4');
      assert.equal(res.headers.get('location'), `${srv.base}/${type}/${id}/_history/4`);
      assert.equal((await fhir('GET', `${srv.base}/${type}/${id}`)).status, 200);
    });

    test(`update-as-create with a client id makes a new ${type} with 201 and version 1`, async () => {
      const clientId = `client-${type.toLowerCase()}-1`;
      const res = await fhir('PUT', `${srv.base}/${type}/${clientId}`, { body: sample(type, { id: clientId }) });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.id, clientId);
      assert.equal(res.headers.get('etag'), 'W/"1"');
      assert.equal(res.headers.get('location'), `${srv.base}/${type}/${clientId}/_history/1`);
      const read = await fhir('GET', `${srv.base}/${type}/${clientId}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.id, clientId);
    });
  });
}

describe('server-owned fields', () => {
  test('create ignores the client id and replaces client meta.versionId and meta.lastUpdated, keeping other meta', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, {
      body: sample('Patient', {
        id: 'chosen-by-client',
        meta: { versionId: '77', lastUpdated: '1999-01-01T00:00:00Z', tag: [{ system: 'http://example.org/tags', code: 'keep' }] },
      }),
    });
    assert.equal(res.status, 201, res.text);
    assert.notEqual(res.body.id, 'chosen-by-client');
    assert.equal(res.body.meta.versionId, '1');
    assert.notEqual(res.body.meta.lastUpdated, '1999-01-01T00:00:00Z');
    assert.ok(res.body.meta.lastUpdated.startsWith('2024-01-01T'), res.body.meta.lastUpdated);
    assert.deepEqual(res.body.meta.tag, [{ system: 'http://example.org/tags', code: 'keep' }]);
    assert.equal((await fhir('GET', `${srv.base}/Patient/chosen-by-client`)).status, 404);
  });

  test('update replaces client meta.versionId and meta.lastUpdated', async () => {
    const created = await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') });
    const id = created.body.id;
    const res = await fhir('PUT', `${srv.base}/Patient/${id}`, {
      body: sample('Patient', { id, meta: { versionId: '42', lastUpdated: '2001-01-01T00:00:00Z' } }),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.meta.versionId, '2');
    assert.notEqual(res.body.meta.lastUpdated, '2001-01-01T00:00:00Z');
    const read = await fhir('GET', `${srv.base}/Patient/${id}`);
    assert.equal(read.body.meta.versionId, '2');
    assert.equal(read.body.meta.lastUpdated, res.body.meta.lastUpdated);
  });
});

describe('ids follow the FHIR id rule', () => {
  test('accepts a 64-character client id on update-as-create', async () => {
    const id = 'a'.repeat(64);
    const res = await fhir('PUT', `${srv.base}/Patient/${id}`, { body: sample('Patient', { id }) });
    assert.equal(res.status, 201, res.text);
  });

  test('rejects a 65-character id on update with 400', async () => {
    const id = 'a'.repeat(65);
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/${id}`, { body: sample('Patient', { id }) }), {
      status: 400, code: 'invalid', diagnostics: 'Invalid id',
    });
  });

  test('rejects an id with an underscore on update with 400', async () => {
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/a_b`, { body: sample('Patient', { id: 'a_b' }) }), {
      status: 400, code: 'invalid', diagnostics: 'Invalid id',
    });
  });

  test('rejects an invalid id on read with 400', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient/a_b`), { status: 400, code: 'invalid', diagnostics: 'Invalid id' });
    assertOutcome(await fhir('GET', `${srv.base}/Patient/${'x'.repeat(65)}`), { status: 400, code: 'invalid', diagnostics: 'Invalid id' });
  });

  test('returns 404 with an OperationOutcome for a well-formed id that is not known', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Observation/never-created`), {
      status: 404, code: 'not-found', diagnostics: 'Observation/never-created',
    });
  });

  test('deleting a resource that never existed succeeds', async () => {
    const res = await fhir('DELETE', `${srv.base}/Observation/never-existed`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  });
});
