import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson } from '../../src/http/body.js';
import { FhirError } from '../../src/fhir/outcome.js';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';

/**
 * Which bodies are large (VESTA_LARGE_BODY): those are checked by a body worker and parsed, written and indexed in
 * slices (issue 10 item 6; large-body-stall.test.ts times them); the others take the usual path. Either way the
 * stored resource and the errors are the same.
 */

/** The FhirError parsing `text` on the main thread gives. */
function inThread(text: string): FhirError {
  try {
    parseJson(text);
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('the text parsed');
}

describe('which bodies count as large (VESTA_LARGE_BODY)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ env: { VESTA_LARGE_BODY: '16kb' } });
  });
  after(async () => {
    await srv.close();
  });

  const patient = (names: number) => ({
    resourceType: 'Patient', active: true, birthDate: '1980-02-03',
    name: Array.from({ length: names }, (_, i) => ({ family: `Family${i}`, given: [`Given${i}`, 'Ann'] })),
    extension: [{ url: 'http://example.org/weight', valueDecimal: 60.0 }],
  });

  test('a body under the threshold takes the usual path: no worker starts', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: patient(10) });
    assert.equal(res.status, 201);
    assert.equal(srv.app.bodyWorkers?.running, 0);
  });

  test('a body over it is checked by a worker and stored exactly as a small one would be, decimals as sent', async () => {
    const text = JSON.stringify(patient(400)).replace('"valueDecimal":60', '"valueDecimal":60.0');
    assert.ok(text.length > 16 * 1024);
    const res = await fhir('POST', `${srv.base}/Patient`, { body: text });
    assert.equal(res.status, 201);
    assert.equal(srv.app.bodyWorkers?.running, 1);
    const read = await fhir('GET', `${srv.base}/Patient/${res.body.id}`);
    assert.ok(read.text.includes('"valueDecimal":60.0'));
    const { meta: _meta, id: _id, ...stored } = read.body;
    assert.deepEqual(stored, JSON.parse(text));
    const found = await fhir('GET', `${srv.base}/Patient?family=Family399`);
    assert.equal(found.body.total ?? found.body.entry?.length, 1);
  });

  test('a large body that is not valid JSON gets the 400 a small one gets', async () => {
    const small = await fhir('POST', `${srv.base}/Patient`, { body: '{"resourceType":"Patient","gender":"male","gender":"female"}' });
    const large = await fhir('POST', `${srv.base}/Patient`, {
      body: `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">${'x'.repeat(20_000)}</div>"},"gender":"male","gender":"female"}`,
    });
    assert.equal(large.status, small.status);
    assert.deepEqual(large.body.issue, small.body.issue);
    for (const text of [`{"resourceType":"Patient","name":[${'{"family":"x"},'.repeat(2000)}`, `{"resourceType":"Patient","name":[${'{"family":"x"},'.repeat(2000)}x]}`]) {
      const broken = await fhir('POST', `${srv.base}/Patient`, { body: text });
      assert.equal(broken.status, 400);
      assert.deepEqual(broken.body.issue, inThread(text).outcome.issue);
    }
  });
});
