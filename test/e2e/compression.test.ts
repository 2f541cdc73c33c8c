import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';

/** A GET with exactly the given headers (fetch would add its own Accept-Encoding). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('responses honour Accept-Encoding: gzip above a size threshold', () => {
  let srv: TestServer;
  let id: string;
  before(async () => {
    srv = await startTestServer();
    id = (await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', name: [{ family: 'Zip' }] } })).body.id;
  });
  after(async () => {
    await srv.close();
  });

  test('the CapabilityStatement is sent gzipped to a client that accepts it, several times smaller', async () => {
    const plain = await get(`${srv.base}/metadata`, {});
    const zipped = await get(`${srv.base}/metadata`, { 'Accept-Encoding': 'gzip, deflate' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.match(String(zipped.headers.vary), /Accept-Encoding/);
    assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
    assert.ok(zipped.body.length * 5 < plain.body.length, `${zipped.body.length} vs ${plain.body.length} bytes`);
    assert.deepEqual(JSON.parse(gunzipSync(zipped.body).toString('utf8')), JSON.parse(plain.body.toString('utf8')));
  });

  test('small responses and clients that refuse gzip get identity', async () => {
    const small = await get(`${srv.base}/Patient/${id}`, { 'Accept-Encoding': 'gzip' });
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(small.body.toString('utf8')).id, id);
    const refused = await get(`${srv.base}/metadata`, { 'Accept-Encoding': 'gzip;q=0, identity' });
    assert.equal(refused.headers['content-encoding'], undefined);
  });
});
