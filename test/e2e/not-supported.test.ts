import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';

const subscription = (status: string) => ({
  resourceType: 'Subscription', status, reason: 'test', criteria: 'Observation?code=1234-5',
  channel: { type: 'rest-hook', endpoint: 'https://example.org/hook', payload: 'application/fhir+json' },
});

describe('honest "not supported"', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.close();
  });

  test('an unknown operation answers the same status for GET and POST', async () => {
    for (const path of ['$frobnicate', 'Patient/$frobnicate', 'Patient/abc/$everything']) {
      const get = await fhir('GET', `${srv.base}/${path}`);
      const post = await fhir('POST', `${srv.base}/${path}`, { body: { resourceType: 'Parameters' } });
      assert.equal(get.status, post.status, path);
      assert.equal(get.body.resourceType, 'OperationOutcome');
      assert.ok([404, 501].includes(get.status), `${path}: ${get.status}`);
    }
  });

  test('a Subscription Vesta would never deliver is refused with 422; one with status off is stored', async () => {
    for (const status of ['requested', 'active']) {
      assertOutcome(await fhir('POST', `${srv.base}/Subscription`, { body: subscription(status) }), {
        status: 422, code: 'processing', diagnostics: "status 'off'", expression: 'Subscription.status',
      });
    }
    assert.equal((await fhir('POST', `${srv.base}/Subscription`, { body: subscription('off') })).status, 201);
  });

  test('the CapabilityStatement says Subscriptions are not delivered', async () => {
    const cs = await fhir('GET', `${srv.base}/metadata`);
    const sub = cs.body.rest[0].resource.find((r: { type: string }) => r.type === 'Subscription');
    assert.match(sub.documentation, /not delivered/);
  });

  test("a DELETE's history entry records the 200 the client got", async () => {
    const id = (await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient' } })).body.id;
    const del = await fhir('DELETE', `${srv.base}/Patient/${id}`);
    assert.equal(del.status, 200);
    const history = await fhir('GET', `${srv.base}/Patient/${id}/_history`);
    assert.equal(history.body.entry[0].request.method, 'DELETE');
    assert.equal(history.body.entry[0].response.status, '200');
  });

  test("a DELETE answered 204 (Prefer: return=minimal) has a history entry that says 204", async () => {
    const id = (await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient' } })).body.id;
    const del = await fhir('DELETE', `${srv.base}/Patient/${id}`, { headers: { Prefer: 'return=minimal' } });
    assert.equal(del.status, 204);
    const history = await fhir('GET', `${srv.base}/Patient/${id}/_history`);
    assert.equal(history.body.entry[0].request.method, 'DELETE');
    assert.equal(history.body.entry[0].response.status, '204');
    // Type and system history list the same entry with the same status.
    const typeHistory = await fhir('GET', `${srv.base}/Patient/_history?_count=1000`);
    const entry = typeHistory.body.entry.find((e: { fullUrl: string; request: { method: string } }) => e.fullUrl.endsWith(`/Patient/${id}`) && e.request.method === 'DELETE');
    assert.equal(entry.response.status, '204');
  });

  test("a conditional DELETE's history entry records the status it answered", async () => {
    const id = (await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', identifier: [{ system: 'urn:x', value: 'cdel-1' }] } })).body.id;
    const del = await fhir('DELETE', `${srv.base}/Patient?identifier=urn:x|cdel-1`, { headers: { Prefer: 'return=minimal' } });
    assert.equal(del.status, 204);
    const history = await fhir('GET', `${srv.base}/Patient/${id}/_history`);
    assert.equal(history.body.entry[0].response.status, '204');
  });
});
