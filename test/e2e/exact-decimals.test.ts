import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { TX_SKIP } from '../support/test-store.js';

const observation = '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":6.0,"unit":"mg"},' +
  '"component":[{"code":{"text":"a"},"valueQuantity":{"value":1.50}},{"code":{"text":"b"},"valueQuantity":{"value":0.1000000000000000000001}}]}';
const values = (text: string) => [...text.matchAll(/"value":\s*([-0-9.eE+]+)/g)].map((m) => m[1]);

describe('decimals keep their precision as sent (datatypes.html#decimal)', () => {
  let srv: TestServer;
  let id: string;
  before(async () => {
    srv = await startTestServer();
    const created = await fhir('POST', `${srv.base}/Observation`, { body: observation });
    assert.equal(created.status, 201, created.text);
    id = created.body.id;
    assert.deepEqual(values(created.text), ['6.0', '1.50', '0.1000000000000000000001']);
  });
  after(async () => {
    await srv.close();
  });

  test('read, _pretty, history, search and _elements write them as sent', async () => {
    for (const url of [`Observation/${id}`, `Observation/${id}?_pretty=true`, `Observation/${id}/_history`, `Observation?_id=${id}`, `Observation?_id=${id}&_elements=valueQuantity,component`]) {
      const res = await fhir('GET', `${srv.base}/${url}`);
      assert.equal(res.status, 200, url);
      assert.deepEqual(values(res.text), ['6.0', '1.50', '0.1000000000000000000001'], url);
    }
  });

  test('a search by the value still matches it as the number it is', async () => {
    const res = await fhir('GET', `${srv.base}/Observation?value-quantity=6`);
    assert.equal(res.body.total ?? res.body.entry?.length, 1);
  });

  test('a JSON Patch keeps the untouched decimals and the patch value as sent', async () => {
    const body = '[{"op":"replace","path":"/status","value":"amended"},{"op":"add","path":"/component/-","value":{"code":{"text":"c"},"valueQuantity":{"value":2.00}}}]';
    const res = await fhir('PATCH', `${srv.base}/Observation/${id}`, { body, headers: { 'Content-Type': 'application/json-patch+json', Prefer: 'return=representation' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(values(res.text), ['6.0', '1.50', '0.1000000000000000000001', '2.00']);
  });

  for (const type of ['transaction', 'batch'] as const) {
    test(`a ${type} entry keeps its decimals`, { skip: type === 'transaction' ? TX_SKIP : undefined }, async () => {
      const body = `{"resourceType":"Bundle","type":"${type}","entry":[{"request":{"method":"POST","url":"Observation"},"resource":${observation}}]}`;
      const res = await fhir('POST', srv.base, { body, headers: { Prefer: 'return=representation' } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(values(res.text), ['6.0', '1.50', '0.1000000000000000000001']);
    });
  }

  test('a changed value is written as the new number, not the old text', async () => {
    const body = '[{"op":"replace","path":"/valueQuantity/value","value":7}]';
    const res = await fhir('PATCH', `${srv.base}/Observation/${id}`, { body, headers: { 'Content-Type': 'application/json-patch+json' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(values(res.text)[0], '7');
  });

  test('a client string cannot pose as a kept number', async () => {
    const res = await fhir('POST', `${srv.base}/Observation`, { body: '{"resourceType":"Observation","status":"final","code":{"text":"\\u0000abc:6.0"},"valueQuantity":{"value":6.0}}' });
    assert.equal(res.status, 201);
    assert.equal(res.body.code.text, '\u0000abc:6.0');
  });
});
