import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';

/** An extension nested `n` deep, as text (JSON.stringify itself would overflow on very deep values). */
const deepExtension = (n: number) => '{"url":"http://x","extension":['.repeat(n) + '{"url":"http://x","valueString":"x"}' + ']}'.repeat(n);
const tooDeep = { status: 400, code: 'too-costly', diagnostics: 'VESTA_MAX_JSON_DEPTH' };

describe('deeply nested JSON is a 400 wherever it is', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.close();
  });

  test('in a resource posted directly', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: `{"resourceType":"Patient","extension":[${deepExtension(20_000)}]}` }), tooDeep);
  });

  test('in a transaction and a batch entry', async () => {
    for (const type of ['transaction', 'batch']) {
      const body = `{"resourceType":"Bundle","type":"${type}","entry":[{"fullUrl":"urn:uuid:6b1f0e0a-0000-4000-8000-000000000001",` +
        `"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","extension":[${deepExtension(20_000)}]}}]}`;
      assertOutcome(await fhir('POST', srv.base, { body }), tooDeep);
    }
  });

  test('in a JSON Patch value', async () => {
    const created = await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient' } });
    assert.equal(created.status, 201);
    const body = `[{"op":"add","path":"/extension","value":[${deepExtension(20_000)}]}]`;
    assertOutcome(await fhir('PATCH', `${srv.base}/Patient/${created.body.id}`, { body, headers: { 'Content-Type': 'application/json-patch+json' } }), tooDeep);
  });

  test('a duplicate key in a body is a 400 naming the key', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: '{"resourceType":"Patient","gender":"male","gender":"female"}' }), {
      status: 400, code: 'structure', diagnostics: "'gender'",
    });
  });
});
