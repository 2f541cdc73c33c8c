import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { captureLog } from '../support/log-capture.js';

/** Sends raw bytes and collects everything the server writes back until it closes the connection. */
function raw(root: string, text: string): Promise<string> {
  const { hostname, port } = new URL(root);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(text));
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('HTTP edges', () => {
  let srv: TestServer;
  const captured = captureLog('info');
  before(async () => {
    srv = await startTestServer({ log: captured.log });
  });
  after(async () => {
    await srv.close();
  });

  test('the FHIR base answers alike however it is spelled: taken at once (/fhir...) or by Express (/FHIR...)', async () => {
    const origin = new URL(srv.base).origin;
    const get = async (path: string): Promise<{ status: number; type?: string; requestId: boolean }> => {
      const res = await fetch(`${origin}${path}`, { headers: { Accept: 'application/fhir+json' } });
      const body = (await res.json()) as { resourceType?: string };
      return { status: res.status, type: body.resourceType, requestId: res.headers.get('x-request-id') !== null };
    };
    for (const path of ['/fhir', '/fhir/', '/fhir?_count=1']) assert.deepEqual(await get(path), { status: 200, type: 'Bundle', requestId: true }, path);
    for (const path of ['/fhir/metadata', '/FHIR/metadata', '/Fhir/metadata?_format=json']) {
      assert.deepEqual(await get(path), { status: 200, type: 'CapabilityStatement', requestId: true }, path);
    }
    for (const path of ['/fhirx', '/fhir%2FPatient']) assert.deepEqual(await get(path), { status: 404, type: 'OperationOutcome', requestId: true }, path);
    const unknown = await get('/fhir/NoSuchType');
    assert.deepEqual(unknown, { status: 404, type: 'OperationOutcome', requestId: true });
  });

  test('responses that carry resources say Cache-Control: no-store', async () => {
    const created = await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', name: [{ family: 'Cache' }] } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const id = created.body.id as string;
    const bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Patient/${id}` } }] };
    for (const [method, url, body] of [
      ['GET', `Patient/${id}`], ['GET', `Patient/${id}/_history/1`], ['GET', `Patient/${id}/_history`], ['GET', 'Patient?family=cache'],
      ['GET', '_history'], ['POST', '', bundle], ['POST', 'Patient/$validate', { resourceType: 'Patient' }], ['GET', 'Patient/unknown'],
    ] as const) {
      const res = await fhir(method, `${srv.base}/${url}`, body === undefined ? {} : { body });
      assert.equal(res.headers.get('cache-control'), 'no-store', `${method} ${url} → ${res.status}`);
    }
  });

  test('CONNECT gets a 501 OperationOutcome instead of a reset connection', async () => {
    const answer = await raw(srv.root, `CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 501 /);
    assert.match(answer, /"resourceType":"OperationOutcome"/);
    assert.match(answer, /"code":"not-supported"/);
  });

  test('a method Node does not know gets a 501 OperationOutcome', async () => {
    const answer = await raw(srv.root, `FROBNICATE /fhir/Patient HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 501 /);
    assert.match(answer, /"resourceType":"OperationOutcome"/);
  });

  test('a known method with no interaction gets 405 with Allow', async () => {
    const res = await fhir('PROPFIND', `${srv.base}/Patient`);
    assert.equal(res.status, 405);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  });

  test('a client that aborts its body is logged at info as an aborted request, without a stack', async () => {
    const { hostname, port } = new URL(srv.root);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: hostname, port, method: 'POST', path: '/fhir/Patient', headers: { 'Content-Type': 'application/fhir+json', 'Content-Length': '100000' } });
      req.on('error', () => resolve());
      req.write('{"resourceType":"Patient",');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    for (let i = 0; i < 50 && !captured.lines.some((l) => l.includes('aborted')); i++) await new Promise((r) => setTimeout(r, 20));
    const records = captured.records();
    const aborted = records.find((r) => r.message === 'request aborted by the client');
    assert.ok(aborted, `no aborted-request line in ${JSON.stringify(records.map((r) => r.message))}`);
    assert.equal(aborted.level, 'info');
    assert.ok(!JSON.stringify(aborted).includes('stack'));
    assert.ok(!records.some((r) => r.message === 'unhandled error'));
  });
});
