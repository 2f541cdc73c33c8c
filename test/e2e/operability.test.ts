import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { captureLog } from '../support/log-capture.js';
import type { CapturedLog } from '../support/log-capture.js';

// Distinctive values that must never reach a log line, whatever the request does with them.
const FAMILY = 'Quixotlbrandt';
const GIVEN = 'Wenceslava';
const MRN = 'MRN-4471-ZQX-9';
const MRN_SYSTEM = 'http://clinic.example.org/mrn';
const BIRTH = '1937-04-29';
const PHONE = '555-0199-7733';
const PHI = [FAMILY, GIVEN, MRN, BIRTH, PHONE];

const patient = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: MRN_SYSTEM, value: MRN }],
  name: [{ family: FAMILY, given: [GIVEN] }],
  telecom: [{ system: 'phone', value: PHONE }],
  birthDate: BIRTH,
  ...extra,
});

let srv: TestServer;
let captured: CapturedLog;
before(async () => {
  captured = captureLog('silly');
  srv = await startTestServer({ log: captured.log });
});
after(async () => {
  await srv.close();
});

describe('probes', () => {
  test('GET /healthz is 200', async () => {
    const res = await fhir('GET', `${srv.root}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
  });

  test('GET /readyz is 200 while the store answers', async () => {
    const res = await fhir('GET', `${srv.root}/readyz`);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ready');
  });

  test('GET /readyz is 503 once the store is closed', async () => {
    const other = await startTestServer();
    try {
      await other.store.close();
      const res = await fhir('GET', `${other.root}/readyz`);
      assert.equal(res.status, 503);
      assert.ok(res.headers.get('x-request-id'));
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});

describe('access log lines', () => {
  /** The one access-log record written for the response with `requestId`. */
  async function accessRecord(requestId: string): Promise<Record<string, unknown>> {
    // The line is written on 'finish', which can trail the client's view of the response by a tick.
    for (let i = 0; i < 50; i++) {
      const found = captured.records().filter((r) => r.message === 'request' && r.requestId === requestId);
      if (found.length > 0) {
        assert.equal(found.length, 1, 'one access line per request');
        return found[0];
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`no access line for ${requestId}: ${captured.lines.slice(-5).join('\n')}`);
  }

  test('a read logs request id, method, route template, interaction, status and duration', async () => {
    const created = await fhir('POST', `${srv.base}/Observation`, {
      body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, headers: { 'X-Request-Id': 'log-create-1' },
    });
    assert.equal(created.status, 201);
    const res = await fhir('GET', `${srv.base}/Observation/${created.body.id}`, { headers: { 'X-Request-Id': 'log-read-1' } });
    assert.equal(res.status, 200);
    const rec = await accessRecord('log-read-1');
    assert.equal(rec.method, 'GET');
    assert.equal(rec.route, '/fhir/:type/:id');
    assert.equal(rec.interaction, 'read');
    assert.equal(rec.status, 200);
    assert.equal(typeof rec.durationMs, 'number');
    assert.ok((rec.durationMs as number) >= 0);
    assert.ok(!JSON.stringify(rec).includes(created.body.id), 'the resource id is not in the access line');
    const createRec = await accessRecord('log-create-1');
    assert.equal(createRec.method, 'POST');
    assert.equal(createRec.route, '/fhir/:type');
    assert.equal(createRec.status, 201);
  });

  test('an error response is logged with its status', async () => {
    await fhir('GET', `${srv.base}/Patient/nobody`, { headers: { 'X-Request-Id': 'log-404-1' } });
    const rec = await accessRecord('log-404-1');
    assert.equal(rec.status, 404);
    assert.equal(rec.route, '/fhir/:type/:id');
  });

  test('a version read is logged with the version route template', async () => {
    await fhir('GET', `${srv.base}/Patient/nobody/_history/1`, { headers: { 'X-Request-Id': 'log-vread-1' } });
    const rec = await accessRecord('log-vread-1');
    assert.equal(rec.route, '/fhir/:type/:id/_history/:vid');
    assert.equal(rec.interaction, 'vread');
  });

  test('the health probe is logged with its own route', async () => {
    await fhir('GET', `${srv.root}/healthz`, { headers: { 'X-Request-Id': 'log-health-1' } });
    const rec = await accessRecord('log-health-1');
    assert.equal(rec.method, 'GET');
    assert.equal(rec.status, 200);
    assert.equal(rec.route, '/healthz');
  });
});

describe('no PHI in logs', () => {
  test('creating, reading, searching and failing validation with PHI writes none of it to the log', async () => {
    const created = await fhir('POST', `${srv.base}/Patient`, { body: patient() });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    assert.equal((await fhir('GET', `${srv.base}/Patient/${id}`)).status, 200);
    const searches = [
      `family=${FAMILY}`, `name=${GIVEN}`, `identifier=${encodeURIComponent(`${MRN_SYSTEM}|${MRN}`)}`, `birthdate=${BIRTH}`,
      `phone=${PHONE}`, `family:exact=${FAMILY}&birthdate=eq${BIRTH}`,
    ];
    for (const q of searches) {
      const res = await fhir('GET', `${srv.base}/Patient?${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text.slice(0, 200)}`);
      assert.equal(res.body.entry?.length, 1, q);
    }
    const post = await fhir('POST', `${srv.base}/Patient/_search`, {
      body: `family=${FAMILY}&birthdate=${BIRTH}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(post.status, 200, post.text);
    // Failures that may echo the values back to the client, but must not log them.
    const invalid = await fhir('POST', `${srv.base}/Patient`, { body: patient({ gender: FAMILY, birthDate: `${BIRTH}-${MRN}` }) });
    assert.equal(invalid.status, 400);
    const badSearch = await fhir('GET', `${srv.base}/Patient?birthdate=${MRN}`);
    assert.equal(badSearch.status, 400);
    const unknownParam = await fhir('GET', `${srv.base}/Patient?${FAMILY}=${MRN}`, { headers: { Prefer: 'handling=strict' } });
    assert.equal(unknownParam.status, 400);
    const notJson = await fhir('POST', `${srv.base}/Patient`, { body: `{"name": "${FAMILY}", ${MRN}` });
    assert.equal(notJson.status, 400);
    const conditional = await fhir('POST', `${srv.base}/Patient`, {
      headers: { 'If-None-Exist': `identifier=${MRN_SYSTEM}|${MRN}` }, body: patient(),
    });
    assert.equal(conditional.status, 200, conditional.text);
    const validate = await fhir('POST', `${srv.base}/Patient/$validate`, { body: patient({ gender: GIVEN }) });
    assert.equal(validate.status, 200);
    assert.equal((await fhir('PUT', `${srv.base}/Patient?family=${FAMILY}`, { body: patient({ active: true }) })).status, 200);
    assert.equal((await fhir('DELETE', `${srv.base}/Patient?identifier=${MRN_SYSTEM}|${MRN}`)).status, 200);
    await new Promise((r) => setTimeout(r, 50));

    assert.ok(captured.lines.length >= 15, `requests were logged (${captured.lines.length} lines)`);
    for (const line of captured.lines) {
      for (const phi of PHI) assert.ok(!line.includes(phi), `log line leaks "${phi}": ${line}`);
    }
  });
});
