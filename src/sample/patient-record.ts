/// <reference types="fhir" />
/**
 * One sample patient's whole record, as `vesta seed` writes it: the Patient of the shared population generator
 * (population.ts) with its Encounters, the Observations and MedicationRequests made during them, and Conditions
 * diagnosed at them, all referring to each other by id. A pure function of (seed, patient index), like the rest.
 */
import {
  encounterId, generateMedication, generateMedicationRequest, generateObservation, generatePatient,
  MED_REQUESTS_PER_PATIENT, medicationRequestFacts, OBSERVATIONS_PER_ENCOUNTER, OBSERVATIONS_PER_PATIENT,
  patientId, rngFor, SPAN_END, SPAN_START,
} from './population.js';

/** Encounters per Patient: every Observation was made during one of them. */
export const ENCOUNTERS_PER_PATIENT = OBSERVATIONS_PER_PATIENT / OBSERVATIONS_PER_ENCOUNTER;

const SNOMED = 'http://snomed.info/sct';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
// Streams 1 to 6 are population.ts's; new kinds of data take new numbers so existing data never changes.
const ENCOUNTER_STREAM = 7;
const CONDITION_STREAM = 8;

const ENCOUNTER_TYPES: readonly (readonly [string, string, 'AMB' | 'EMER'])[] = [
  ['185349003', 'Encounter for check up (procedure)', 'AMB'],
  ['390906007', 'Follow-up encounter (procedure)', 'AMB'],
  ['185345009', 'Encounter for symptom (procedure)', 'AMB'],
  ['50849002', 'Emergency room admission (procedure)', 'EMER'],
];

/** SNOMED CT findings common in primary care; chronic ones stay active, the others resolve. */
const CONDITIONS: readonly (readonly [string, string, boolean])[] = [
  ['44054006', 'Diabetes mellitus type 2 (disorder)', true],
  ['38341003', 'Hypertensive disorder, systemic arterial (disorder)', true],
  ['55822004', 'Hyperlipidemia (disorder)', true],
  ['15777000', 'Prediabetes (finding)', true],
  ['195967001', 'Asthma (disorder)', true],
  ['162864005', 'Body mass index 30+ - obesity (finding)', true],
  ['195662009', 'Acute viral pharyngitis (disorder)', false],
  ['10509002', 'Acute bronchitis (disorder)', false],
  ['444814009', 'Viral sinusitis (disorder)', false],
  ['271737000', 'Anemia (disorder)', false],
];

const instant = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The start times (epoch ms) of Patient `i`'s Encounters, in order, all after the birth date, on working hours. */
function encounterStarts(seed: number, i: number, birthDate: string): number[] {
  const rng = rngFor(seed, ENCOUNTER_STREAM, i);
  const from = Math.max(SPAN_START, Date.parse(birthDate) + 86_400_000);
  const days = Math.max(1, Math.floor((SPAN_END - from) / 86_400_000));
  return Array.from({ length: ENCOUNTERS_PER_PATIENT }, () => from + rng.int(0, days - 1) * 86_400_000 + rng.int(8 * 60, 16 * 60) * 60_000)
    .sort((a, b) => a - b);
}

function encounter(seed: number, i: number, e: number, start: number, ns: string): fhir4.Encounter {
  const rng = rngFor(seed, ENCOUNTER_STREAM, i, e + 1);
  const [code, display, kind] = rng.pick(ENCOUNTER_TYPES);
  const minutes = kind === 'EMER' ? rng.int(90, 300) : rng.int(15, 45);
  return {
    resourceType: 'Encounter',
    id: encounterId(i, e, ns),
    status: 'finished',
    class: { system: ACT_CODE, code: kind, display: kind === 'AMB' ? 'ambulatory' : 'emergency' },
    type: [{ coding: [{ system: SNOMED, code, display }], text: display }],
    subject: { reference: `Patient/${patientId(i, ns)}` },
    period: { start: instant(start), end: instant(start + minutes * 60_000) },
  };
}

function condition(seed: number, i: number, c: number, starts: readonly number[], ns: string): fhir4.Condition {
  const rng = rngFor(seed, CONDITION_STREAM, i, c + 1);
  const [code, display, chronic] = rng.pick(CONDITIONS);
  const e = rng.int(0, starts.length - 1);
  const onset = starts[e]!;
  const out: fhir4.Condition = {
    resourceType: 'Condition',
    id: `${ns}cond-${i}-${c}`,
    clinicalStatus: { coding: [{ system: CLINICAL, code: chronic ? 'active' : 'resolved' }] },
    verificationStatus: { coding: [{ system: VERIFICATION, code: 'confirmed' }] },
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }] }],
    code: { coding: [{ system: SNOMED, code, display }], text: display.replace(/ \((disorder|finding)\)$/, '') },
    subject: { reference: `Patient/${patientId(i, ns)}` },
    encounter: { reference: `Encounter/${encounterId(i, e, ns)}` },
    onsetDateTime: instant(onset),
    recordedDate: instant(onset),
  };
  // A resolved condition says when it ended (FHIR's con-4: abatement only with an inactive clinical status).
  if (!chronic) out.abatementDateTime = instant(onset + rng.int(5, 30) * 86_400_000);
  return out;
}

/**
 * Patient `i`'s record in write order: Patient, Encounters, Observations, Conditions, MedicationRequests. Ids are
 * prefixed with `ns`; the Medications the requests refer to are shared and listed by {@link medicationsOf}.
 */
export function patientRecord(seed: number, i: number, ns: string): fhir4.Resource[] {
  const patient = generatePatient(seed, i, ns);
  const starts = encounterStarts(seed, i, patient.birthDate!);
  const encounters = starts.map((start, e) => encounter(seed, i, e, start, ns));
  const observations = Array.from({ length: OBSERVATIONS_PER_PATIENT }, (_, k) => {
    const e = Math.floor(k / OBSERVATIONS_PER_ENCOUNTER);
    // Measured a few minutes apart during the visit.
    return generateObservation(seed, i, k, ns, starts[e]! + ((k % OBSERVATIONS_PER_ENCOUNTER) + 1) * 300_000);
  });
  const conditions = Array.from({ length: rngFor(seed, CONDITION_STREAM, i).int(1, 3) }, (_, c) => condition(seed, i, c, starts, ns));
  const requests = Array.from({ length: MED_REQUESTS_PER_PATIENT }, (_, m) => {
    const e = m % ENCOUNTERS_PER_PATIENT;
    return generateMedicationRequest(seed, i, m, ns, { encounter: encounterId(i, e, ns), at: starts[e]! });
  });
  return [patient, ...encounters, ...observations, ...conditions, ...requests];
}

/** The shared formulary Medications that Patients `0 .. patients-1` are prescribed, each once, by index. */
export function medicationsOf(seed: number, patients: number): fhir4.Medication[] {
  const used = new Set<number>();
  for (let i = 0; i < patients; i++) {
    for (let m = 0; m < MED_REQUESTS_PER_PATIENT; m++) used.add(medicationRequestFacts(seed, i, m).medication);
  }
  return [...used].sort((a, b) => a - b).map((j) => generateMedication(j));
}

/**
 * A transaction Bundle that writes `resources` under their own ids (FHIR R4 http.html#transaction, `PUT` entries:
 * update-as-create), so the same seed always gives the same ids and writing it again makes new versions, not copies.
 */
export function transactionOf(resources: readonly fhir4.Resource[], baseUrl: string): fhir4.Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => ({
      fullUrl: `${baseUrl}/${r.resourceType}/${r.id!}`,
      resource: r,
      request: { method: 'PUT', url: `${r.resourceType}/${r.id!}` },
    })),
  };
}
