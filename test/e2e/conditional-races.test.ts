import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { FhirResponse, TestServer } from '../support/test-app.js';

/**
 * Conditional interactions are atomic under concurrency (FHIR R4 http.html#ccreate, #cond-update, #trules):
 * 8 clients send the same conditional request at once, 50 rounds each, and exactly one resource results.
 * Writes without If-Match never fail because another write won the race.
 */

const CLIENTS = 8;
const ROUNDS = 50;
const SYS = 'http://race.example.org/mrn';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

let serial = 0;
const mrn = (): string => `race-${process.pid}-${++serial}`;
const criteria = (value: string): string => `identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
const patient = (value: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', identifier: [{ system: SYS, value }], ...extra });
const all = <T>(make: (client: number) => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: CLIENTS }, (_, i) => make(i)));

async function idsWith(value: string): Promise<string[]> {
  const res = await fhir('GET', `${srv.base}/Patient?${criteria(value)}&_count=50`);
  assert.equal(res.status, 200, res.text);
  return ((res.body.entry ?? []) as { resource: { id: string } }[]).map((e) => e.resource.id);
}

function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe('concurrent conditional interactions', () => {
  test('8 concurrent POSTs with the same If-None-Exist create one resource and answer the others 200 with it, 50 rounds', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const value = mrn();
      const res = await all(() => fhir('POST', `${srv.base}/Patient`, { headers: { 'If-None-Exist': criteria(value) }, body: patient(value) }));
      assert.deepEqual(tally(res.map((r) => r.status)), { 200: CLIENTS - 1, 201: 1 }, `round ${round}: ${res.map((r) => r.text).join('\n')}`);
      const ids = await idsWith(value);
      assert.equal(ids.length, 1, `round ${round}: ${ids.length} resources`);
      assert.ok(res.every((r) => r.body.id === ids[0]), `round ${round}: every answer carries the one resource`);
    }
  });

  test('8 concurrent conditional PUTs with no match create one resource and update it, 50 rounds', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const value = mrn();
      const res = await all((i) => fhir('PUT', `${srv.base}/Patient?${criteria(value)}`, { body: patient(value, { gender: i % 2 ? 'male' : 'female' }) }));
      assert.deepEqual(tally(res.map((r) => r.status)), { 200: CLIENTS - 1, 201: 1 }, `round ${round}: ${res.map((r) => r.text).join('\n')}`);
      const ids = await idsWith(value);
      assert.equal(ids.length, 1, `round ${round}: ${ids.length} resources`);
      const current = await fhir('GET', `${srv.base}/Patient/${ids[0]}`);
      assert.equal(current.body.meta.versionId, String(CLIENTS));
    }
  });

  test('8 concurrent batches with the same ifNoneExist entry and a conditional reference to it create one Patient, 50 rounds', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const value = mrn();
      const batch = {
        resourceType: 'Bundle', type: 'batch', entry: [
          { resource: patient(value), request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(value) } },
          {
            resource: { resourceType: 'Observation', status: 'final', code: { text: 'race' }, subject: { reference: `Patient?${criteria(value)}` } },
            request: { method: 'POST', url: 'Observation' },
          },
        ],
      };
      const res: FhirResponse[] = await all(() => fhir('POST', srv.base, { body: batch }));
      assert.ok(res.every((r) => r.status === 200), res.map((r) => r.text).join('\n'));
      const creates = res.map((r) => r.body.entry[0].response.status as string);
      assert.deepEqual(tally(creates.map((s) => Number(s.slice(0, 3)))), { 200: CLIENTS - 1, 201: 1 }, `round ${round}`);
      const ids = await idsWith(value);
      assert.equal(ids.length, 1, `round ${round}: ${ids.length} Patients`);
      for (const r of res) {
        assert.equal(r.body.entry[1].response.status, '201 Created', JSON.stringify(r.body.entry[1]));
        assert.equal(r.body.entry[1].resource.subject.reference, `Patient/${ids[0]}`);
      }
    }
  });

  test('8 concurrent JSON Patches without If-Match all apply to the then-current version', async () => {
    for (let round = 0; round < 10; round++) {
      const created = await fhir('POST', `${srv.base}/Patient`, { body: patient(mrn()) });
      const res = await all((i) => fhir('PATCH', `${srv.base}/Patient/${created.body.id}`, {
        headers: { 'Content-Type': 'application/json-patch+json' },
        body: [{ op: 'add', path: '/identifier/-', value: { system: `${SYS}/extra`, value: `v${i}` } }],
      }));
      assert.deepEqual(tally(res.map((r) => r.status)), { 200: CLIENTS }, res.map((r) => r.text).join('\n'));
      const current = await fhir('GET', `${srv.base}/Patient/${created.body.id}`);
      assert.equal(current.body.meta.versionId, String(CLIENTS + 1));
      const extra = (current.body.identifier as { system: string; value: string }[]).filter((x) => x.system === `${SYS}/extra`).map((x) => x.value);
      assert.deepEqual(extra.sort(), Array.from({ length: CLIENTS }, (_, i) => `v${i}`).sort());
    }
  });

  test('8 concurrent PUTs without If-Match all succeed, each on the version before it', async () => {
    const value = mrn();
    const created = await fhir('POST', `${srv.base}/Patient`, { body: patient(value) });
    const id = created.body.id as string;
    const res = await all((i) => fhir('PUT', `${srv.base}/Patient/${id}`, { body: patient(value, { id, gender: i % 2 ? 'male' : 'female' }) }));
    assert.deepEqual(tally(res.map((r) => r.status)), { 200: CLIENTS }, res.map((r) => r.text).join('\n'));
    const versions = res.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
    assert.deepEqual(versions, Array.from({ length: CLIENTS }, (_, i) => i + 2));
  });
});
