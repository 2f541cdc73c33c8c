import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../src/app.js';
import { createValidator } from '../../src/validation/validator.js';
import { fhir, startTestServer } from '../support/test-app.js';
import type { FhirResponse, TestServer } from '../support/test-app.js';

const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'];

interface RestResource {
  type: string;
  interaction: { code: string }[];
  versioning: string;
  readHistory: boolean;
  updateCreate: boolean;
  conditionalCreate: boolean;
  conditionalUpdate: boolean;
  conditionalDelete: string;
  searchParam?: { name: string; type: string }[];
}

let srv: TestServer;
let res: FhirResponse;
let resources: RestResource[];
before(async () => {
  srv = await startTestServer();
  res = await fhir('GET', `${srv.base}/metadata`);
  resources = res.body?.rest?.[0]?.resource ?? [];
});
after(async () => {
  await srv.close();
});

describe('GET /fhir/metadata', () => {
  test('answers 200 with a CapabilityStatement in FHIR JSON', () => {
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    assert.equal(res.body.resourceType, 'CapabilityStatement');
    assert.equal(res.body.kind, 'instance');
    assert.equal(res.body.status, 'active');
  });

  test('declares FHIR 4.0.1 and JSON but not XML', () => {
    assert.equal(res.body.fhirVersion, '4.0.1');
    assert.ok(res.body.format.includes('json'));
    assert.ok(res.body.format.includes('application/fhir+json'));
    assert.ok(!res.body.format.some((f: string) => /xml/i.test(f)), JSON.stringify(res.body.format));
    assert.deepEqual(res.body.patchFormat, ['application/json-patch+json']);
  });

  test('names the software Vesta with the package version, and the implementation url is the base', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(res.body.software.name, 'Vesta');
    assert.equal(res.body.software.version, pkg.version);
    assert.equal(res.body.implementation.url, srv.base);
  });

  test('lists every resource type the validator knows, once each', () => {
    const types = resources.map((r) => r.type);
    const known = createValidator().resourceTypes;
    assert.equal(types.length, known.length);
    assert.deepEqual([...types].sort(), [...known].sort());
    assert.equal(new Set(types).size, types.length);
    for (const t of ['Patient', 'Observation', 'MedicationRequest', 'Substance', 'ResearchStudy']) assert.ok(types.includes(t), t);
  });

  // AuditEvent is read-only (issue 13): its own test below.
  test('every resource type supports every type-level interaction', () => {
    for (const r of resources.filter((x) => x.type !== 'AuditEvent')) {
      assert.deepEqual(r.interaction.map((i) => i.code).sort(), [...TYPE_INTERACTIONS].sort(), r.type);
    }
  });

  test('every resource type is versioned with history, update-as-create and the conditional interactions', () => {
    for (const r of resources.filter((x) => x.type !== 'AuditEvent')) {
      assert.equal(r.versioning, 'versioned', r.type);
      assert.equal(r.readHistory, true, r.type);
      assert.equal(r.updateCreate, true, r.type);
      assert.equal(r.conditionalCreate, true, r.type);
      assert.equal(r.conditionalUpdate, true, r.type);
      assert.equal(r.conditionalDelete, 'single', r.type);
    }
  });

  test('system-level history and search are declared', () => {
    const codes = (res.body.rest[0].interaction as { code: string }[]).map((i) => i.code);
    assert.ok(codes.includes('history-system'), JSON.stringify(codes));
    assert.ok(codes.includes('search-system'), JSON.stringify(codes));
    assert.equal(res.body.rest[0].mode, 'server');
  });

  test('Patient lists the profile loaded from profiles/ as a supported profile, and other types list none', () => {
    const resources = res.body.rest[0].resource as { type: string; supportedProfile?: string[] }[];
    assert.deepEqual(resources.find((r) => r.type === 'Patient')?.supportedProfile, ['http://vesta.dev/fhir/StructureDefinition/vesta-patient']);
    assert.equal(resources.find((r) => r.type === 'Observation')?.supportedProfile, undefined);
  });

  test('Patient declares search parameters it really supports', async () => {
    const patient = resources.find((r) => r.type === 'Patient')!;
    const names = (patient.searchParam ?? []).map((p) => p.name);
    for (const n of ['identifier', 'family', 'birthdate', 'gender']) assert.ok(names.includes(n), n);
    for (const n of names.slice(0, 40)) {
      const probe = await fhir('GET', `${srv.base}/Patient?${encodeURIComponent(n)}:missing=true&_count=1`, { headers: { Prefer: 'handling=strict' } });
      assert.equal(probe.status, 200, `declared parameter ${n} is accepted: ${probe.text.slice(0, 200)}`);
    }
  });

  test('the CapabilityStatement is itself a valid resource', async () => {
    const v = await fhir('POST', `${srv.base}/CapabilityStatement/$validate`, { body: res.body });
    assert.equal(v.status, 200);
    const errors = (v.body.issue as { severity: string }[]).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    assert.deepEqual(errors, []);
  });

  test('is the same on every request', async () => {
    const again = await fhir('GET', `${srv.base}/metadata`);
    assert.deepEqual(again.body, res.body);
  });
});

test('AuditEvent is declared read-only, with the search parameters and operations the audit trail carries', async () => {
  const srv = await startTestServer();
  try {
    const cs = (await fhir('GET', `${srv.base}/metadata`)).body;
    const ae = cs.rest[0].resource.find((r: { type: string }) => r.type === 'AuditEvent');
    assert.deepEqual(ae.interaction.map((i: { code: string }) => i.code).sort(), ['history-instance', 'history-type', 'read', 'search-type', 'vread']);
    assert.equal(ae.updateCreate, false);
    assert.equal(ae.conditionalCreate, false);
    const params = ae.searchParam.map((p: { name: string }) => p.name);
    for (const p of ['date', 'agent', 'agent-name', 'entity', 'entity-type', 'patient', 'type', 'subtype', 'action', 'outcome', 'source', 'address']) {
      assert.ok(params.includes(p), `AuditEvent declares ${p}`);
    }
    assert.ok(!params.includes('policy'), 'no parameter the trail cannot answer');
    assert.deepEqual(ae.operation.map((o: { name: string }) => o.name).sort(), ['validate', 'verify'].sort());
    const patient = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    assert.ok(patient.operation.some((o: { name: string }) => o.name === 'audit'));
    assert.ok(patient.interaction.some((i: { code: string }) => i.code === 'create'));
    const obs = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
    assert.ok(!obs.operation.some((o: { name: string }) => o.name === 'audit' || o.name === 'verify'));
  } finally {
    await srv.close();
  }
});

test('with VESTA_AUDIT=off the CapabilityStatement says so, and nothing is recorded', async () => {
  const srv = await startTestServer({ env: { VESTA_AUDIT: 'off' } });
  try {
    const cs = (await fhir('GET', `${srv.base}/metadata`)).body;
    assert.match(cs.rest[0].security.description, /audit is OFF/);
    await fhir('GET', `${srv.base}/Patient?_count=1`);
    assert.equal(await srv.store.auditTrail().bounds(), undefined);
  } finally {
    await srv.close();
  }
  const audited = await startTestServer();
  try {
    assert.doesNotMatch((await fhir('GET', `${audited.base}/metadata`)).body.rest[0].security.description ?? '', /audit is OFF/);
  } finally {
    await audited.close();
  }
});
