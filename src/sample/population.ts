/// <reference types="fhir" />
/**
 * Seeded sample population (the search bench's and `vesta seed`'s): Patients with a census-like surname
 * distribution, 20 Observations and 4 MedicationRequests each, and a shared formulary of Medications. Every resource
 * is a pure function of (seed, patient index, item index), so the bench can regenerate any patient's data to compute
 * the expected number of matches without keeping 1.25 million resources in memory.
 *
 * `ns` prefixes the ids of a patient's resources (never the shared formulary's): the bench uses none, `vesta seed`
 * one per seed, so populations of different seeds sit side by side in one store.
 */
import { Rng } from './random.js';

/** Observations per Patient. */
export const OBSERVATIONS_PER_PATIENT = 20;
/** MedicationRequests per Patient. */
export const MED_REQUESTS_PER_PATIENT = 4;
/** Shared Medication resources every MedicationRequest points into. */
export const MEDICATION_COUNT = 200;
/** Seed of the default population; changing the generator must change GENERATOR_VERSION too. */
export const DEFAULT_SEED = 20250301;
/** Bumped whenever generated content changes, so a stale seeded database is not reused. */
export const GENERATOR_VERSION = 1;
/** The identifier system of the medical record numbers (`identifier=<system>|<n>`). */
export const MRN_SYSTEM = 'http://hospital.example.org/mrn';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

// US Census 2010 surnames with their frequency per 100,000 people: the top 50 cover about 11% of people,
// so `family=smi` is broad while most 4-letter prefixes of the long tail are selective.
const COMMON_SURNAMES: readonly (readonly [string, number])[] = [
  ['Smith', 828], ['Johnson', 655], ['Williams', 550], ['Brown', 487], ['Jones', 483], ['Garcia', 395],
  ['Miller', 394], ['Davis', 378], ['Rodriguez', 314], ['Martinez', 298], ['Hernandez', 294], ['Lopez', 234],
  ['Gonzalez', 233], ['Wilson', 232], ['Anderson', 231], ['Thomas', 224], ['Taylor', 222], ['Moore', 215],
  ['Jackson', 208], ['Martin', 207], ['Lee', 205], ['Perez', 191], ['Thompson', 190], ['White', 189],
  ['Harris', 180], ['Sanchez', 175], ['Clark', 164], ['Ramirez', 163], ['Lewis', 157], ['Robinson', 156],
  ['Walker', 152], ['Young', 143], ['Allen', 141], ['King', 139], ['Wright', 137], ['Scott', 131],
  ['Torres', 128], ['Nguyen', 127], ['Hill', 126], ['Flores', 126], ['Green', 125], ['Adams', 124],
  ['Nelson', 123], ['Baker', 121], ['Hall', 118], ['Rivera', 117], ['Campbell', 115], ['Mitchell', 114],
  ['Carter', 113], ['Roberts', 112],
];
const COMMON_TOTAL = COMMON_SURNAMES.reduce((s, [, f]) => s + f, 0);
/** Share of people with one of the common surnames (census: ~10.7% for the top 50). */
const COMMON_SHARE = COMMON_TOTAL / 100_000;

// The long tail is built from syllables (about 30 x 25 x 12 = 9,000 names), weighted towards the first
// entries of each list the way real surname frequencies decay.
const TAIL_START = ['Ab', 'Bar', 'Bel', 'Bra', 'Cal', 'Cor', 'Dal', 'Der', 'Ell', 'Fer', 'Gal', 'Hal', 'Har', 'Kel', 'Kor',
  'Lan', 'Mar', 'Mor', 'Nor', 'Ost', 'Pal', 'Ram', 'Ros', 'Sal', 'Sto', 'Tal', 'Val', 'Wal', 'Win', 'Zim'];
const TAIL_MIDDLE = ['a', 'e', 'i', 'o', 'en', 'er', 'an', 'in', 'ov', 'ing', 'ett', 'ack', 'ich', 'ard', 'ell', 'ow', 'ald',
  'ist', 'ham', 'ock', 'und', 'ers', 'ley', 'ton', 'ber'];
const TAIL_END = ['', 's', 'son', 'sen', 'man', 'ski', 'ez', 'er', 'ford', 'well', 'berg', 'ley'];

const MALE_GIVEN = ['James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Christopher',
  'Daniel', 'Matthew', 'Anthony', 'Mark', 'Jose', 'Luis', 'Wei', 'Ahmed', 'Kevin', 'Brian'];
const FEMALE_GIVEN = ['Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen',
  'Lisa', 'Nancy', 'Maria', 'Emily', 'Ashley', 'Mei', 'Fatima', 'Olivia', 'Emma', 'Sophia'];
const STREETS = ['Main St', 'Oak Ave', 'Maple Dr', 'Cedar Ln', 'Elm St', 'Washington Blvd', 'Lake Rd', 'Hill St', 'Pine Ct', 'Park Way'];
const CITIES: readonly (readonly [string, string, string])[] = [
  ['Boston', 'MA', '02118'], ['Worcester', 'MA', '01608'], ['Springfield', 'MA', '01103'], ['Providence', 'RI', '02903'],
  ['Hartford', 'CT', '06103'], ['Portland', 'ME', '04101'], ['Manchester', 'NH', '03101'], ['Burlington', 'VT', '05401'],
  ['Albany', 'NY', '12207'], ['New Haven', 'CT', '06510'], ['Lowell', 'MA', '01852'], ['Cambridge', 'MA', '02139'],
];

/** One kind of Observation: LOINC code, category, and how its value is drawn. */
interface ObservationKind {
  code: string;
  display: string;
  category: 'vital-signs' | 'laboratory';
  /** Relative frequency among a patient's Observations. */
  weight: number;
  unit?: { code: string; human: string; min: number; max: number; decimals: number };
}

/** The Observation codes the population uses; vital signs are about 60% of Observations. */
export const OBSERVATION_KINDS: readonly ObservationKind[] = [
  { code: '8867-4', display: 'Heart rate', category: 'vital-signs', weight: 14, unit: { code: '/min', human: '/min', min: 48, max: 120, decimals: 0 } },
  { code: '8310-5', display: 'Body temperature', category: 'vital-signs', weight: 10, unit: { code: 'Cel', human: 'Cel', min: 35.8, max: 39.2, decimals: 1 } },
  { code: '29463-7', display: 'Body weight', category: 'vital-signs', weight: 12, unit: { code: 'kg', human: 'kg', min: 3, max: 140, decimals: 1 } },
  { code: '8302-2', display: 'Body height', category: 'vital-signs', weight: 6, unit: { code: 'cm', human: 'cm', min: 50, max: 200, decimals: 1 } },
  { code: '9279-1', display: 'Respiratory rate', category: 'vital-signs', weight: 6, unit: { code: '/min', human: '/min', min: 10, max: 28, decimals: 0 } },
  { code: '85354-9', display: 'Blood pressure panel with all children optional', category: 'vital-signs', weight: 12 },
  { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', category: 'laboratory', weight: 10, unit: { code: 'mg/dL', human: 'mg/dL', min: 65, max: 240, decimals: 0 } },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', category: 'laboratory', weight: 9, unit: { code: 'g/dL', human: 'g/dL', min: 9, max: 18, decimals: 1 } },
  { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', category: 'laboratory', weight: 7, unit: { code: 'mg/dL', human: 'mg/dL', min: 0.5, max: 2.2, decimals: 2 } },
  { code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma', category: 'laboratory', weight: 7, unit: { code: 'mg/dL', human: 'mg/dL', min: 120, max: 300, decimals: 0 } },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', category: 'laboratory', weight: 7, unit: { code: '%', human: '%', min: 4.2, max: 11, decimals: 1 } },
];
const KIND_TOTAL = OBSERVATION_KINDS.reduce((s, k) => s + k.weight, 0);

const DRUGS: readonly string[] = ['Lisinopril', 'Metformin', 'Atorvastatin', 'Amlodipine', 'Omeprazole', 'Levothyroxine',
  'Simvastatin', 'Losartan', 'Albuterol', 'Gabapentin', 'Hydrochlorothiazide', 'Sertraline', 'Furosemide', 'Metoprolol',
  'Amoxicillin', 'Prednisone', 'Warfarin', 'Insulin glargine', 'Fluticasone', 'Tramadol'];
const FORMS: readonly (readonly [string, string])[] = [
  ['385055001', 'Tablet'], ['385049006', 'Capsule'], ['385219001', 'Solution for injection'], ['385023001', 'Oral solution'],
];
const STRENGTHS = ['2.5 MG', '5 MG', '10 MG', '20 MG', '25 MG', '40 MG', '50 MG', '100 MG', '250 MG', '500 MG'];

/** Start and end of the `effectiveDateTime` / `authoredOn` spread (2015-01-01 .. 2025-12-31, UTC). */
export const SPAN_START = Date.UTC(2015, 0, 1);
export const SPAN_END = Date.UTC(2026, 0, 1);

/** A 32-bit seed mixed from several integers (splitmix-like), so (patient, item) streams are independent. */
function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The random stream of one (kind, patient, item) triple. */
export function rngFor(seed: number, stream: number, patient: number, item = 0): Rng {
  return new Rng(mix(seed, stream, patient, item));
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** A tail surname: the syllable indexes are skewed (u^2) so a few tail names are more common than others. */
function tailSurname(rng: Rng): string {
  const skew = (n: number): number => Math.floor(rng.next() ** 2 * n);
  const name = `${TAIL_START[skew(TAIL_START.length)]}${TAIL_MIDDLE[skew(TAIL_MIDDLE.length)]}${TAIL_END[skew(TAIL_END.length)]}`;
  return name;
}

/** A surname drawn from the census-like distribution. */
function surname(rng: Rng): string {
  const u = rng.next();
  if (u >= COMMON_SHARE) return tailSurname(rng);
  let acc = u * 100_000;
  for (const [name, freq] of COMMON_SURNAMES) {
    if (acc < freq) return name;
    acc -= freq;
  }
  return COMMON_SURNAMES[0]![0];
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The logical id of Patient `i`. */
export const patientId = (i: number, ns = ''): string => `${ns}pat-${i}`;
/** The logical id of Medication `j`. */
export const medicationId = (j: number): string => `med-${j}`;
/** The logical id of the k-th Observation of Patient `i`. */
export const observationId = (i: number, k: number, ns = ''): string => `${ns}obs-${i}-${k}`;
/** The logical id of the k-th MedicationRequest of Patient `i`. */
export const medicationRequestId = (i: number, k: number, ns = ''): string => `${ns}mr-${i}-${k}`;
/** The logical id of the e-th Encounter of Patient `i` (Observation k happened during Encounter k / 4). */
export const encounterId = (i: number, e: number, ns = ''): string => `${ns}enc-${i}-${e}`;
/** Observations recorded during one Encounter. */
export const OBSERVATIONS_PER_ENCOUNTER = 4;

/** The family names of Patient `i` (official first, then a maiden name when there is one); cheap, for expected counts. */
export function patientFamilies(seed: number, i: number): string[] {
  const rng = rngFor(seed, 1, i);
  const families = [surname(rng)];
  if (rng.next() < 0.12) families.push(surname(rng));
  return families;
}

/** Patient `i` with its client-assigned id; valid FHIR R4 (and against the vesta-patient profile's constraints). */
export function generatePatient(seed: number, i: number, ns = ''): fhir4.Patient {
  const families = patientFamilies(seed, i);
  const rng = rngFor(seed, 2, i);
  const male = rng.next() < 0.49;
  const given = [rng.pick(male ? MALE_GIVEN : FEMALE_GIVEN)];
  if (rng.next() < 0.6) given.push(rng.pick(male ? MALE_GIVEN : FEMALE_GIVEN));
  const birth = Date.UTC(1930, 0, 1) + Math.floor(rng.next() * (Date.UTC(2024, 0, 1) - Date.UTC(1930, 0, 1)));
  const [city, state, zip] = rng.pick(CITIES);
  const name: fhir4.HumanName[] = [{ use: 'official', family: families[0]!, given, prefix: [male ? 'Mr.' : 'Ms.'] }];
  if (families[1] !== undefined) name.push({ use: 'maiden', family: families[1], given });
  return {
    resourceType: 'Patient',
    id: patientId(i, ns),
    identifier: [{
      use: 'usual',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical Record Number' }] },
      system: MRN_SYSTEM,
      value: String(i),
    }],
    active: true,
    name,
    telecom: [{ system: 'phone', value: `555-${rng.digits(3)}-${rng.digits(4)}`, use: 'home' }],
    gender: male ? 'male' : 'female',
    birthDate: isoDate(birth),
    address: [{ use: 'home', line: [`${rng.int(1, 9999)} ${rng.pick(STREETS)}`], city, state, postalCode: zip, country: 'US' }],
  };
}

/** Medication `j` of the shared formulary. */
export function generateMedication(j: number): fhir4.Medication {
  const drug = DRUGS[j % DRUGS.length]!;
  const strength = STRENGTHS[Math.floor(j / DRUGS.length) % STRENGTHS.length]!;
  const [formCode, formText] = FORMS[j % FORMS.length]!;
  // Synthetic RxNorm-like codes: unique per entry, numeric like the real ones.
  const code = String(310000 + j * 7);
  return {
    resourceType: 'Medication',
    id: medicationId(j),
    code: { coding: [{ system: RXNORM, code, display: `${drug} ${strength} ${formText}` }], text: `${drug} ${strength}` },
    status: 'active',
    form: { coding: [{ system: 'http://snomed.info/sct', code: formCode, display: formText }] },
  };
}

/** What the bench needs to know about one Observation to predict search results. */
export interface ObservationFacts {
  code: string;
  category: 'vital-signs' | 'laboratory';
  /** effectiveDateTime in epoch milliseconds. */
  effective: number;
}

/** The searchable facts of the k-th Observation of Patient `i`. */
export function observationFacts(seed: number, i: number, k: number): ObservationFacts {
  const rng = rngFor(seed, 3, i, k);
  let w = rng.next() * KIND_TOTAL;
  let kind = OBSERVATION_KINDS[0]!;
  for (const candidate of OBSERVATION_KINDS) {
    kind = candidate;
    if (w < candidate.weight) break;
    w -= candidate.weight;
  }
  // Whole seconds keep effectiveDateTime simple and its index range a single instant.
  const effective = SPAN_START + Math.floor(rng.next() * ((SPAN_END - SPAN_START) / 1000)) * 1000;
  return { code: kind.code, category: kind.category, effective };
}

function quantity(value: number, unit: string): fhir4.Quantity {
  return { value, unit, system: UCUM, code: unit };
}

/**
 * The k-th Observation of Patient `i` (vital signs or laboratory, with subject and encounter references). `at`
 * (epoch ms) places it during its Encounter instead of at its own random time (`vesta seed` writes Encounters).
 */
export function generateObservation(seed: number, i: number, k: number, ns = '', at?: number): fhir4.Observation {
  const facts = observationFacts(seed, i, k);
  const effective = at ?? facts.effective;
  const kind = OBSERVATION_KINDS.find((x) => x.code === facts.code)!;
  const rng = rngFor(seed, 4, i, k);
  const obs: fhir4.Observation = {
    resourceType: 'Observation',
    id: observationId(i, k, ns),
    status: 'final',
    category: [{
      coding: [{
        system: OBS_CATEGORY, code: facts.category, display: facts.category === 'vital-signs' ? 'Vital Signs' : 'Laboratory',
      }],
    }],
    code: { coding: [{ system: LOINC, code: kind.code, display: kind.display }], text: kind.display },
    subject: { reference: `Patient/${patientId(i, ns)}` },
    // The bench's population only refers to Encounters (as exported records do); `vesta seed` writes them too.
    encounter: { reference: `Encounter/${encounterId(i, Math.floor(k / OBSERVATIONS_PER_ENCOUNTER), ns)}` },
    effectiveDateTime: new Date(effective).toISOString().replace('.000Z', 'Z'),
    issued: new Date(effective + 3_600_000).toISOString(),
  };
  if (kind.unit) {
    const u = kind.unit;
    obs.valueQuantity = quantity(round(u.min + rng.next() * (u.max - u.min), u.decimals), u.code);
  } else {
    const systolic = rng.int(95, 170);
    obs.component = [
      {
        code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] },
        valueQuantity: quantity(systolic, 'mm[Hg]'),
      },
      {
        code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] },
        valueQuantity: quantity(rng.int(55, Math.min(110, systolic - 20)), 'mm[Hg]'),
      },
    ];
  }
  return obs;
}

/** What the bench needs to know about one MedicationRequest to predict search results. */
export interface MedicationRequestFacts {
  intent: 'order' | 'plan';
  status: 'active' | 'completed' | 'stopped';
  medication: number;
  authoredOn: number;
}

/** The searchable facts of the k-th MedicationRequest of Patient `i`. */
export function medicationRequestFacts(seed: number, i: number, k: number): MedicationRequestFacts {
  const rng = rngFor(seed, 5, i, k);
  const intent = rng.next() < 0.7 ? 'order' : 'plan';
  const s = rng.next();
  const status = s < 0.35 ? 'active' : s < 0.85 ? 'completed' : 'stopped';
  // A few drugs are prescribed far more often than others (u^2 skew over the formulary).
  const medication = Math.floor(rng.next() ** 2 * MEDICATION_COUNT);
  const authoredOn = SPAN_START + Math.floor(rng.next() * ((SPAN_END - SPAN_START) / 86_400_000)) * 86_400_000;
  return { intent, status, medication, authoredOn };
}

/** Where and when a MedicationRequest was written, when it belongs to an Encounter of the record. */
export interface Visit {
  encounter: string;
  /** Epoch milliseconds. */
  at: number;
}

/** The k-th MedicationRequest of Patient `i`, referencing one of the shared Medications (and its Encounter, when given). */
export function generateMedicationRequest(seed: number, i: number, k: number, ns = '', visit?: Visit): fhir4.MedicationRequest {
  const f = medicationRequestFacts(seed, i, k);
  const rng = rngFor(seed, 6, i, k);
  const times = rng.int(1, 3);
  const request: fhir4.MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: medicationRequestId(i, k, ns),
    status: f.status,
    intent: f.intent,
    medicationReference: { reference: `Medication/${medicationId(f.medication)}` },
    subject: { reference: `Patient/${patientId(i, ns)}` },
    authoredOn: isoDate(visit?.at ?? f.authoredOn),
    dosageInstruction: [{
      sequence: 1,
      text: `Take 1 unit ${times === 1 ? 'once' : times === 2 ? 'twice' : 'three times'} daily`,
      timing: { repeat: { frequency: times, period: 1, periodUnit: 'd' } },
    }],
  };
  if (visit) request.encounter = { reference: `Encounter/${visit.encounter}` };
  return request;
}

/** Resources in a population of `patients` Patients. */
export function populationSize(patients: number): number {
  return MEDICATION_COUNT + patients * (1 + OBSERVATIONS_PER_PATIENT + MED_REQUESTS_PER_PATIENT);
}

/**
 * Every resource of the population in write order: the formulary, the Patients, then Observations and
 * MedicationRequests round by round (item k of every patient, then item k+1). Interleaving rounds spreads
 * each patient's rows across the table the way years of clinical activity do, so patient-scoped queries
 * cannot profit from rows that happen to sit next to each other.
 */
export function* population(seed: number, patients: number): Generator<fhir4.Resource> {
  for (let j = 0; j < MEDICATION_COUNT; j++) yield generateMedication(j);
  for (let i = 0; i < patients; i++) yield generatePatient(seed, i);
  for (let k = 0; k < OBSERVATIONS_PER_PATIENT; k++) {
    for (let i = 0; i < patients; i++) yield generateObservation(seed, i, k);
    // MedicationRequests are written alongside the Observation rounds they would interleave with in time.
    if (k % (OBSERVATIONS_PER_PATIENT / MED_REQUESTS_PER_PATIENT) === 0) {
      const m = k / (OBSERVATIONS_PER_PATIENT / MED_REQUESTS_PER_PATIENT);
      for (let i = 0; i < patients; i++) yield generateMedicationRequest(seed, i, m);
    }
  }
}
