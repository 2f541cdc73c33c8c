import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir } from '../support/test-app.js';
import type { FhirResponse } from '../support/test-app.js';
import { bundleIds, idsOf, seedPatient, SMART_SYS, startSmartServer } from '../support/smart.js';
import type { PatientRecord, SmartServer } from '../support/smart.js';
import { TX_SKIP } from '../support/test-store.js';

/**
 * The patient compartment on every path (SMART App Launch 2.x, R4 CompartmentDefinition Patient): with a token for
 * Patient A, no interaction returns, counts or changes Patient B's data, and B's resources look exactly like
 * resources that never existed.
 */

let srv: SmartServer;
let A: PatientRecord;
let B: PatientRecord;
let asA: (method: string, url: string, opts?: { body?: unknown; headers?: Record<string, string> }) => Promise<FhirResponse>;
let asAdmin: typeof asA;
let medication = '';

before(async () => {
  srv = await startSmartServer();
  const admin = await srv.token('system/*.cruds');
  asAdmin = srv.as(admin);
  A = await seedPatient(srv, admin, 'A');
  B = await seedPatient(srv, admin, 'B');
  medication = (await asAdmin('POST', `${srv.base}/Medication`, { body: { resourceType: 'Medication', code: { text: 'Salbutamol' } } })).body.id;
  asA = srv.as(await srv.token('patient/*.cruds launch/patient', { patient: A.patient }));
});
after(async () => {
  await srv.close();
});

const url = (path: string): string => `${srv.base}/${path}`;
const criteria = (value: string): string => `identifier=${encodeURIComponent(`${SMART_SYS}|${value}`)}`;

/** B's resource answers exactly like one that never existed (the same status and OperationOutcome, ids aside). */
async function looksMissing(path: string, id: string): Promise<void> {
  const res = await asA('GET', url(path));
  const never = await asA('GET', url(path.replace(id, 'never-was-here')));
  assert.equal(res.status, 404, `${path}: ${res.text}`);
  assert.deepEqual(JSON.parse(res.text.replaceAll(id, 'X')), JSON.parse(never.text.replaceAll('never-was-here', 'X')), path);
}

function onlyA(ids: string[], what: string): void {
  const bIds = new Set([...idsOf(B), `Observation/${B.deleted}`]);
  assert.deepEqual(ids.filter((x) => bIds.has(x)), [], `${what} returned B's data`);
}

describe('reads', () => {
  test('A reads its own resources and B\'s look missing: read, vread and instance history', async () => {
    for (const id of idsOf(A)) assert.equal((await asA('GET', url(id))).status, 200, id);
    for (const path of idsOf(B)) {
      const id = path.split('/')[1]!;
      await looksMissing(path, id);
      await looksMissing(`${path}/_history/1`, id);
      await looksMissing(`${path}/_history`, id);
    }
  });

  test('B\'s deleted resource is 404, A\'s is 410', async () => {
    await looksMissing(`Observation/${B.deleted}`, B.deleted);
    await looksMissing(`Observation/${B.deleted}/_history/2`, B.deleted);
    assert.equal((await asA('GET', url(`Observation/${A.deleted}`))).status, 410);
  });

  test('type and system history are not offered to a patient-restricted token', async () => {
    assert.equal((await asA('GET', url('Observation/_history'))).status, 403);
    assert.equal((await asA('GET', url('_history'))).status, 403);
  });

  test('resources in no patient compartment (Medication) are readable with a patient scope', async () => {
    assert.equal((await asA('GET', url(`Medication/${medication}`))).status, 200);
  });
});

describe('searches', () => {
  const searches = [
    'Observation', 'Observation?_total=accurate', 'Observation?_count=1', 'Condition', 'Encounter', 'MedicationRequest',
    'Patient', `Patient?_id=${'A'},${'B'}`, 'Observation?_include=Observation:subject', 'Observation?_include=Observation:encounter',
    'Patient?_revinclude=Observation:subject', 'Encounter?_revinclude=Observation:encounter&_include:iterate=Observation:subject',
    'Observation?_include=*', 'Observation?subject.family=FamilyB', 'Observation?subject:Patient.identifier=SYS|B',
    'Observation?encounter.status=finished', 'Patient?_has:Observation:subject:status=final', 'Encounter?_has:Observation:encounter:code=2345-7',
    'Observation?_sort=-date&_count=2', 'Observation?_summary=count', '?_type=Observation',
  ];
  for (const raw of searches) {
    test(`${raw} returns and counts only A's data`, async () => {
      const q = raw.replace('_id=A,B', `_id=${A.patient},${B.patient}`).replace('SYS|B', encodeURIComponent(`${SMART_SYS}|${B.mrn}`));
      const res = await asA('GET', url(q));
      assert.equal(res.status, 200, res.text);
      onlyA(bundleIds(res.body), q);
      if (typeof res.body.total === 'number') assert.ok(res.body.total <= idsOf(A).length + 1, `${q}: total ${res.body.total}`);
      for (const link of (res.body.link ?? []) as { relation: string; url: string }[]) {
        if (link.relation !== 'next') continue;
        const next = await asA('GET', link.url);
        onlyA(bundleIds(next.body), `${q} next page`);
      }
    });
  }

  test('a chain or _has about B\'s data finds nothing', async () => {
    const res = await asA('GET', url(`Observation?subject.identifier=${encodeURIComponent(`${SMART_SYS}|${B.mrn}`)}&_total=accurate`));
    assert.equal(res.body.total, 0);
    const has = await asA('GET', url(`Patient?_has:Observation:subject:identifier=${encodeURIComponent(`${SMART_SYS}|${B.mrn}-2345-7`)}&_total=accurate`));
    assert.equal(has.body.total, 0);
  });

  test('a system search over several types is refused with 403 under a patient restriction (name one type with _type)', async () => {
    const res = await asA('GET', url('?_type=Observation,Condition'));
    assert.equal(res.status, 403, res.text);
    assert.match(res.body.issue[0].diagnostics, /_type/);
  });

  test('POST _search is restricted the same way', async () => {
    const res = await asA('POST', url('Observation/_search'), { body: `subject=Patient/${B.patient}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.total, 0);
  });

  test('compartment search: A\'s compartment has A\'s data, B\'s compartment is empty', async () => {
    const own = await asA('GET', url(`Patient/${A.patient}/Observation`));
    assert.ok(own.body.total >= 2);
    const other = await asA('GET', url(`Patient/${B.patient}/Observation`));
    assert.equal(other.status, 200);
    assert.equal(other.body.total, 0);
  });
});

describe('writes', () => {
  const obs = (patient: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${patient}` }, ...extra,
  });

  test('creating a resource in B\'s compartment is 403; in A\'s it is 201', async () => {
    assert.equal((await asA('POST', url('Observation'), { body: obs(B.patient) })).status, 403);
    assert.equal((await asA('POST', url('Observation'), { body: obs(A.patient) })).status, 201);
  });

  test('moving A\'s resource into B\'s compartment is 403 and changes nothing', async () => {
    const current = (await asA('GET', url(`Condition/${A.condition}`))).body;
    const res = await asA('PUT', url(`Condition/${A.condition}`), { body: { ...current, subject: { reference: `Patient/${B.patient}` } } });
    assert.equal(res.status, 403, res.text);
    assert.equal((await asA('GET', url(`Condition/${A.condition}`))).body.meta.versionId, current.meta.versionId);
  });

  test('updating, patching or deleting B\'s resources answers as for a missing one, and changes nothing', async () => {
    const b = (await asAdmin('GET', url(`Condition/${B.condition}`))).body;
    assert.equal((await asA('PUT', url(`Condition/${B.condition}`), { body: { ...b, subject: { reference: `Patient/${A.patient}` } } })).status, 404);
    assert.equal((await asA('PATCH', url(`Condition/${B.condition}`), {
      headers: { 'Content-Type': 'application/json-patch+json' }, body: [{ op: 'replace', path: '/subject/reference', value: `Patient/${A.patient}` }],
    })).status, 404);
    const del = await asA('DELETE', url(`Condition/${B.condition}`));
    assert.equal(del.status, 200);
    assert.match(del.body.issue[0].diagnostics, /Nothing to delete/);
    assert.equal((await asAdmin('GET', url(`Condition/${B.condition}`))).body.meta.versionId, b.meta.versionId);
  });

  test('an update-as-create by id is not available under a patient restriction (it would reveal which ids exist)', async () => {
    const res = await asA('PUT', url('Observation/fresh-id-1'), { body: obs(A.patient, { id: 'fresh-id-1' }) });
    assert.equal(res.status, 404, res.text);
  });

  test('conditional create, update and delete never match B\'s resources', async () => {
    const bObs = `${B.mrn}-2345-7`;
    const created = await asA('POST', url('Observation'), { headers: { 'If-None-Exist': criteria(bObs) }, body: obs(A.patient) });
    assert.equal(created.status, 201);
    assert.notEqual(created.body.id, B.lab);
    const updated = await asA('PUT', url(`Observation?${criteria(bObs)}`), { body: obs(A.patient) });
    assert.equal(updated.status, 201, updated.text);
    const deleted = await asA('DELETE', url(`Observation?${criteria(bObs)}`));
    assert.equal(deleted.status, 200);
    assert.equal((await asAdmin('GET', url(`Observation/${B.lab}`))).status, 200);
  });
});

describe('Bundles', () => {
  test('a batch reads A\'s data, and B\'s entries look missing', async () => {
    const res = await asA('POST', srv.base, {
      body: {
        resourceType: 'Bundle', type: 'batch', entry: [
          { request: { method: 'GET', url: `Observation/${A.lab}` } },
          { request: { method: 'GET', url: `Observation/${B.lab}` } },
          { request: { method: 'GET', url: `Observation?subject=Patient/${B.patient}` } },
          { request: { method: 'DELETE', url: `Observation/${B.vital}` } },
        ],
      },
    });
    assert.equal(res.status, 200, res.text);
    const statuses = (res.body.entry as { response: { status: string } }[]).map((e) => e.response.status);
    assert.deepEqual(statuses, ['200 OK', '404 Not Found', '200 OK', '200 OK']);
    assert.equal(res.body.entry[2].resource.total, 0);
    assert.equal((await asAdmin('GET', url(`Observation/${B.vital}`))).status, 200);
  });

  test('a transaction with a conditional reference to B fails with 404, and one writing into B\'s compartment with 403', { skip: TX_SKIP }, async () => {
    const ref = await asA('POST', srv.base, {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [{
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?${criteria(B.mrn)}` } },
          request: { method: 'POST', url: 'Observation' },
        }],
      },
    });
    assert.equal(ref.status, 404, ref.text);
    const into = await asA('POST', srv.base, {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [{
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${B.patient}` } },
          request: { method: 'POST', url: 'Observation' },
        }],
      },
    });
    assert.equal(into.status, 403, into.text);
  });

  test('a transaction with a conditional reference to A resolves it', { skip: TX_SKIP }, async () => {
    const res = await asA('POST', srv.base, {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [{
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?${criteria(A.mrn)}` } },
          request: { method: 'POST', url: 'Observation' },
        }],
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].resource.subject.reference, `Patient/${A.patient}`);
  });
});

describe('operations', () => {
  test('$validate reads nothing stored and needs only read', async () => {
    const res = await asA('POST', url('Observation/$validate'), { body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } });
    assert.equal(res.status, 200, res.text);
  });

  test('$reindex is refused to a patient token', async () => {
    assert.equal((await asA('POST', url('Observation/$reindex'))).status, 403);
  });

  test('an unauthenticated request learns nothing about either patient', async () => {
    assert.equal((await fhir('GET', url(`Patient/${B.patient}`))).status, 401);
  });
});
