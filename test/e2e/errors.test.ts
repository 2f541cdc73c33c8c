import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';
import { captureLog } from '../support/log-capture.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

/** Sends a body with chunked transfer encoding (no Content-Length), so the size limit must be enforced while reading. */
function postChunked(url: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('request errors', () => {
  test('malformed JSON is 400 with code structure', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: '{"resourceType": "Patient",' }), {
      status: 400, code: 'structure', diagnostics: 'not valid JSON',
    });
  });

  test('an empty body on create is 400', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: '', headers: { 'Content-Type': 'application/fhir+json' } }), {
      status: 400, code: 'structure', diagnostics: 'empty',
    });
  });

  for (const ct of ['text/plain', 'application/xml', 'application/fhir+xml']) {
    test(`Content-Type ${ct} is 415`, async () => {
      assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: JSON.stringify(sample('Patient')), headers: { 'Content-Type': ct } }), {
        status: 415, code: 'not-supported', diagnostics: 'application/fhir+json',
      });
    });
  }

  test('a missing Content-Type on create is 415', async () => {
    const res = await fetch(`${srv.base}/Patient`, { method: 'POST', body: new Blob([JSON.stringify(sample('Patient'))]) });
    assert.equal(res.status, 415);
    const body = (await res.json()) as { resourceType: string; issue: { code: string }[] };
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0].code, 'not-supported');
  });

  test('application/json is accepted as a resource body', async () => {
    const res = await fhir('POST', `${srv.base}/Patient`, { body: JSON.stringify(sample('Patient')), headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(res.status, 201, res.text);
  });

  test('an unknown resource type is 404', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Spaceship/1`), { status: 404, code: 'not-found', diagnostics: "Unknown resource type 'Spaceship'" });
    assertOutcome(await fhir('POST', `${srv.base}/Spaceship`, { body: { resourceType: 'Spaceship' } }), { status: 404, code: 'not-found' });
  });

  test('an abstract type name such as Resource or DomainResource is 404', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/DomainResource/1`), { status: 404, code: 'not-found' });
  });

  test('an invalid id is 400', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient/has%20space`), { status: 400, code: 'invalid', diagnostics: 'Invalid id' });
    assertOutcome(await fhir('DELETE', `${srv.base}/Patient/a_b`), { status: 400, code: 'invalid', diagnostics: 'Invalid id' });
  });

  test('a path outside the FHIR base is 404 with an OperationOutcome', async () => {
    assertOutcome(await fhir('GET', `${srv.root}/nothing-here`), { status: 404, code: 'not-found', diagnostics: '/fhir' });
  });

  test('a deleted resource is 410', async () => {
    const id = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') })).body.id;
    await fhir('DELETE', `${srv.base}/Patient/${id}`);
    assertOutcome(await fhir('GET', `${srv.base}/Patient/${id}`), { status: 410, code: 'deleted', diagnostics: `Patient/${id}` });
  });

  test('a version conflict on If-Match is 412', async () => {
    const id = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') })).body.id;
    assertOutcome(await fhir('PUT', `${srv.base}/Patient/${id}`, { headers: { 'If-Match': 'W/"5"' }, body: sample('Patient', { id }) }), {
      status: 412, code: 'conflict', diagnostics: 'current version is 1',
    });
  });
});

describe('405 Method Not Allowed', () => {
  const cases: [string, string, string[]][] = [
    ['DELETE', '/metadata', ['GET']],
    ['POST', '/Patient/abc', ['GET', 'PUT', 'PATCH', 'DELETE']],
    ['PUT', '/Patient/_history', ['GET']],
    ['POST', '/Patient/abc/_history/1', ['GET']],
    ['DELETE', '/_history', ['GET']],
  ];
  for (const [method, path, allow] of cases) {
    test(`${method} ${path} is 405 with Allow: ${allow.join(', ')}`, async () => {
      const res = await fhir(method, `${srv.base}${path}`, { body: method === 'DELETE' ? undefined : sample('Patient') });
      assertOutcome(res, { status: 405, code: 'not-supported', diagnostics: `${method} is not allowed` });
      assert.deepEqual((res.headers.get('allow') ?? '').split(/,\s*/).sort(), [...allow].sort());
    });
  }
});

describe('413 Payload Too Large', () => {
  let small: TestServer;
  before(async () => {
    small = await startTestServer({ env: { VESTA_MAX_BODY: '2kb' } });
  });
  after(async () => {
    await small.close();
  });

  test('a body over VESTA_MAX_BODY is 413 and nothing is stored', async () => {
    const big = sample('Patient', { name: [{ family: 'x'.repeat(3000) }] });
    assertOutcome(await fhir('POST', `${small.base}/Patient`, { body: big }), { status: 413, code: 'too-long', diagnostics: '2048 bytes' });
    const hist = await fhir('GET', `${small.base}/Patient/_history`);
    assert.equal((hist.body.entry ?? []).length, 0);
  });

  test('a chunked body over the limit is 413', async () => {
    const res = await postChunked(`${small.base}/Patient`, ['{"resourceType":"Patient","name":[{"family":"', 'y'.repeat(1500), 'y'.repeat(1500), '"}]}']);
    assert.equal(res.status, 413);
    const body = JSON.parse(res.body);
    assert.equal(body.resourceType, 'OperationOutcome');
    assert.equal(body.issue[0].code, 'too-long');
  });

  test('a body under the limit is accepted', async () => {
    const res = await fhir('POST', `${small.base}/Patient`, { body: sample('Patient') });
    assert.equal(res.status, 201, res.text);
  });

  test('a config override of maxBodyBytes applies as well', async () => {
    const tiny = await startTestServer({ config: { maxBodyBytes: 1024 } });
    try {
      assertOutcome(await fhir('POST', `${tiny.base}/Patient`, { body: sample('Patient', { name: [{ family: 'z'.repeat(1100) }] }) }), {
        status: 413, code: 'too-long',
      });
    } finally {
      await tiny.close();
    }
  });
});

describe('500 Internal Server Error', () => {
  test('an unexpected exception is 500 with a generic OperationOutcome holding the request id and no internals', async () => {
    const captured = captureLog('error');
    const broken = await startTestServer({
      log: captured.log,
      policy: { decide: async () => { throw new Error('secret internal detail at /srv/vesta/db.sqlite'); } },
    });
    try {
      const res = await fhir('GET', `${broken.base}/Patient/abc`, { headers: { 'X-Request-Id': 'req-500-test' } });
      assertOutcome(res, { status: 500, code: 'exception', diagnostics: 'req-500-test' });
      assert.equal(res.headers.get('x-request-id'), 'req-500-test');
      assert.ok(!res.text.includes('secret internal detail'), res.text);
      assert.ok(!/\bat .+:\d+:\d+/.test(res.text), 'no stack frames in the body');
      assert.ok(!res.text.includes('/srv/vesta'), res.text);
      const logged = captured.records().find((r) => r.message === 'unhandled error');
      assert.ok(logged, `the error is logged: ${captured.lines.join('\n')}`);
      assert.equal(logged.requestId, 'req-500-test');
      assert.ok(JSON.stringify(logged).includes('secret internal detail'), 'the log keeps the real cause');
    } finally {
      await broken.close();
    }
  });
});

describe('headers on every response', () => {
  const probes: [string, string][] = [
    ['a FHIR read', '/fhir/metadata'],
    ['a FHIR search', '/fhir/Patient?_count=1'],
    ['a FHIR error', '/fhir/Spaceship'],
    ['an unsupported operation', '/fhir/Patient/$meta-delete'],
    ['/healthz', '/healthz'],
    ['/readyz', '/readyz'],
    ['an unknown path', '/nope'],
  ];
  for (const [what, path] of probes) {
    test(`${what} carries X-Request-Id, helmet's headers and no X-Powered-By`, async () => {
      const res = await fhir('GET', `${srv.root}${path}`);
      assert.match(res.headers.get('x-request-id') ?? '', /^[A-Za-z0-9._-]{1,128}$/);
      assert.equal(res.headers.get('x-powered-by'), null);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    });
  }

  test('a 405 and a 415 carry X-Request-Id too', async () => {
    const r405 = await fhir('DELETE', `${srv.base}/metadata`);
    assert.equal(r405.status, 405);
    assert.ok(r405.headers.get('x-request-id'));
    const r415 = await fhir('POST', `${srv.base}/Patient`, { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(r415.status, 415);
    assert.ok(r415.headers.get('x-request-id'));
  });

  test('each request gets a different generated id', async () => {
    const a = await fhir('GET', `${srv.root}/healthz`);
    const b = await fhir('GET', `${srv.root}/healthz`);
    assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
  });

  test('a well-formed incoming X-Request-Id is echoed, on success and on error', async () => {
    const ok = await fhir('GET', `${srv.base}/metadata`, { headers: { 'X-Request-Id': 'abc-123.XYZ_9' } });
    assert.equal(ok.headers.get('x-request-id'), 'abc-123.XYZ_9');
    const err = await fhir('GET', `${srv.base}/Patient/nobody`, { headers: { 'X-Request-Id': 'err-req-1' } });
    assert.equal(err.status, 404);
    assert.equal(err.headers.get('x-request-id'), 'err-req-1');
    const health = await fhir('GET', `${srv.root}/healthz`, { headers: { 'X-Request-Id': 'health-1' } });
    assert.equal(health.headers.get('x-request-id'), 'health-1');
  });

  test('a malformed incoming X-Request-Id is replaced by a generated one', async () => {
    const res = await fhir('GET', `${srv.base}/metadata`, { headers: { 'X-Request-Id': 'bad id with spaces <script>' } });
    const id = res.headers.get('x-request-id') ?? '';
    assert.notEqual(id, 'bad id with spaces <script>');
    assert.match(id, /^[0-9a-f-]{36}$/);
    const long = await fhir('GET', `${srv.base}/metadata`, { headers: { 'X-Request-Id': 'a'.repeat(129) } });
    assert.notEqual(long.headers.get('x-request-id'), 'a'.repeat(129));
  });
});
