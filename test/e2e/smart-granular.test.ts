import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bundleIds, seedPatient, startSmartServer } from '../support/smart.js';
import type { PatientRecord, SmartServer } from '../support/smart.js';

/**
 * Granular scopes (SMART App Launch 2.x: `patient/Observation.rs?category=...|laboratory`): the query restricts
 * every read and search of the type, and writes must satisfy it. And the injection cases stay refused under a
 * patient token: no value becomes an operator, a field name or SQL.
 */

const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
let srv: SmartServer;
let A: PatientRecord;
let B: PatientRecord;
let lab: ReturnType<SmartServer['as']>;

before(async () => {
  srv = await startSmartServer();
  const admin = await srv.token('system/*.cruds');
  A = await seedPatient(srv, admin, 'GA');
  B = await seedPatient(srv, admin, 'GB');
  lab = srv.as(await srv.token(`patient/Observation.crs?category=${encodeURIComponent(LAB)} patient/Patient.rs`, { patient: A.patient }));
});
after(async () => {
  await srv.close();
});

const url = (path: string): string => `${srv.base}/${path}`;

describe('a laboratory-only token', () => {
  test('never sees vital signs: search, read, include and _has', async () => {
    const all = await lab('GET', url('Observation?_total=accurate'));
    assert.deepEqual(bundleIds(all.body), [`Observation/${A.lab}`]);
    assert.equal(all.body.total, 1);
    assert.equal((await lab('GET', url(`Observation/${A.vital}`))).status, 404);
    assert.equal((await lab('GET', url(`Observation/${A.lab}`))).status, 200);
    const rev = await lab('GET', url(`Patient?_id=${A.patient}&_revinclude=Observation:subject`));
    assert.deepEqual(bundleIds(rev.body).sort(), [`Observation/${A.lab}`, `Patient/${A.patient}`].sort());
    const has = await lab('GET', url(`Patient?_has:Observation:subject:code=8867-4&_total=accurate`));
    assert.equal(has.body.total, 0);
  });

  test('searching explicitly for vital signs finds nothing', async () => {
    const res = await lab('GET', url('Observation?category=vital-signs&_total=accurate'));
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 0);
  });

  test('creating a vital sign is 403, a laboratory result 201', async () => {
    const obs = (code: string) => ({
      resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${A.patient}` }, code: { text: 'x' },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] }],
    });
    assert.equal((await lab('POST', url('Observation'), { body: obs('vital-signs') })).status, 403);
    assert.equal((await lab('POST', url('Observation'), { body: obs('laboratory') })).status, 201);
  });

  test('types without any grant are 403', async () => {
    assert.equal((await lab('GET', url('Condition'))).status, 403);
  });
});

describe('injection attempts under a patient token', () => {
  const attempts = [
    'Observation?code[$ne]=x', 'Observation?code=%24ne', 'Observation?subject=Patient%2F%27%20OR%20%271%27%3D%271',
    "Observation?code=x'%3B DROP TABLE resources%3B--", 'Observation?code:regex=.*', 'Observation?status=final%00',
    'Observation?_sort=-(select 1)', 'Observation?subject._id=*', 'Observation?code=%5C%7C%5C%2C',
    'Observation?%24where=1', 'Observation?_has:Observation:subject:_id:not=x',
  ];
  for (const attempt of attempts) {
    test(`${attempt.slice(0, 60)} reveals nothing of B`, async () => {
      const res = await lab('GET', url(attempt));
      assert.ok(res.status === 200 || res.status === 400, `${res.status}: ${res.text.slice(0, 200)}`);
      if (res.status === 200) {
        const ids = bundleIds(res.body);
        assert.ok(!ids.some((x) => x.includes(B.patient) || x.endsWith(B.lab) || x.endsWith(B.vital)), ids.join(','));
      } else {
        assert.equal(res.body.resourceType, 'OperationOutcome');
      }
    });
  }
});
