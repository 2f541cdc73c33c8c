import assert from 'node:assert/strict';
import { fhir, startTestServer } from './test-app.js';
import type { UserPolicy } from '../../src/auth/smart-policy.js';
import type { FhirResponse, TestServer } from './test-app.js';

/** A test server with SMART authorization on (builtin keys, generated per run) and a token minter. */
export interface SmartServer extends TestServer {
  /** Signs a token with the server's own keys. */
  token(scope: string, context?: { patient?: string; fhirUser?: string; clientId?: string }): Promise<string>;
  /** `fhir()` with `Authorization: Bearer <token>`. */
  as(token: string): (method: string, url: string, opts?: { body?: unknown; headers?: Record<string, string> }) => Promise<FhirResponse>;
}

/** Starts Vesta with VESTA_AUTH=builtin. */
export async function startSmartServer(env: NodeJS.ProcessEnv = {}, opts: { userPolicy?: UserPolicy } = {}): Promise<SmartServer> {
  const srv = await startTestServer({ env: { VESTA_AUTH: 'builtin', ...env }, ...opts });
  const own = srv.app.auth.own;
  assert.ok(own, 'builtin authorization has its own keys');
  return Object.assign(srv, {
    async token(scope: string, context: { patient?: string; fhirUser?: string; clientId?: string } = {}) {
      const { token } = await own.tokens.sign({
        scope, clientId: context.clientId ?? 'test-app', expiresInSeconds: 600,
        ...(context.patient !== undefined ? { patient: context.patient } : {}),
        ...(context.fhirUser !== undefined ? { fhirUser: context.fhirUser } : {}),
      });
      return token;
    },
    as(token: string) {
      return (method: string, url: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) =>
        fhir(method, url, { ...opts, headers: { Authorization: `Bearer ${token}`, ...(opts.headers ?? {}) } });
    },
  });
}

const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
const VITAL = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };

/** One patient's record: the Patient and a few resources of each kind in its compartment. */
export interface PatientRecord {
  patient: string;
  lab: string;
  vital: string;
  condition: string;
  medicationRequest: string;
  encounter: string;
  deleted: string;
  /** An identifier value unique to this patient (for conditional criteria). */
  mrn: string;
}

export const SMART_SYS = 'http://smart.example.org/mrn';

/** Creates a patient and its record with an administrator token. */
export async function seedPatient(srv: SmartServer, admin: string, label: string): Promise<PatientRecord> {
  const call = srv.as(admin);
  const mrn = `${label}-${process.pid}`;
  const post = async (type: string, body: Record<string, unknown>): Promise<string> => {
    const r = await call('POST', `${srv.base}/${type}`, { body: { resourceType: type, ...body } });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const patient = await post('Patient', { identifier: [{ system: SMART_SYS, value: mrn }], name: [{ family: `Family${label}`, given: ['Given'] }], gender: 'female' });
  const subject = { reference: `Patient/${patient}` };
  const encounter = await post('Encounter', { status: 'finished', class: { code: 'AMB' }, subject, identifier: [{ system: SMART_SYS, value: `${mrn}-enc` }] });
  const obs = (category: unknown, code: string) => ({
    status: 'final', category: [category], code: { coding: [{ system: 'http://loinc.org', code }] }, subject,
    encounter: { reference: `Encounter/${encounter}` }, identifier: [{ system: SMART_SYS, value: `${mrn}-${code}` }],
    effectiveDateTime: '2024-05-01T10:00:00Z', valueQuantity: { value: 7, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  });
  const lab = await post('Observation', obs(LAB, '2345-7'));
  const vital = await post('Observation', obs(VITAL, '8867-4'));
  const condition = await post('Condition', { subject, code: { text: 'Asthma' }, identifier: [{ system: SMART_SYS, value: `${mrn}-cond` }] });
  const medicationRequest = await post('MedicationRequest', { status: 'active', intent: 'order', subject, medicationCodeableConcept: { text: 'Salbutamol' } });
  const deleted = await post('Observation', obs(LAB, '1234-5'));
  const gone = await call('DELETE', `${srv.base}/Observation/${deleted}`);
  assert.equal(gone.status, 200, gone.text);
  return { patient, lab, vital, condition, medicationRequest, encounter, deleted, mrn };
}

/** Every id of `record`'s resources, as `Type/id`. */
export function idsOf(r: PatientRecord): string[] {
  return [`Patient/${r.patient}`, `Observation/${r.lab}`, `Observation/${r.vital}`, `Condition/${r.condition}`, `MedicationRequest/${r.medicationRequest}`, `Encounter/${r.encounter}`];
}

/** The `Type/id` of every resource in a Bundle (entries, or history entries' fullUrls). */
export function bundleIds(body: { entry?: { resource?: { resourceType: string; id: string }; fullUrl?: string }[] }): string[] {
  return (body.entry ?? []).map((e) => (e.resource ? `${e.resource.resourceType}/${e.resource.id}` : (e.fullUrl ?? '').split('/').slice(-2).join('/')));
}
