/**
 * Value pools shared by the oracle's resource generator and query generator, so queries hit real data
 * (and sometimes miss on purpose). Names mix accents, case variants and multi-word values.
 */

/** This server's base URL in the oracle (absolute references on it are local). */
export const ORACLE_BASE = 'https://vesta.example/fhir';

export const FAMILIES = [
  'Müller', 'MÜLLER', 'Mueller', 'muller', 'Ölsen', 'Olsen', 'García', 'GARCIA', 'Nguyễn', 'Nguyen', "O'Brien",
  'van der Berg', 'Smith', 'smith-Jones', 'Łukasz', 'Zoë', 'Ångström', 'Dvořák', 'Straße', 'Chen 陈', 'Doe, Jr', 'Bar|Baz',
] as const;
export const GIVENS = [
  'Anna', 'Änne', 'ANNA', 'ann', 'José', 'Jose', 'Marie-Claire', 'Zoë', 'Zoe', 'Björn', 'bjorn', 'Chloé', 'John',
  'Jon', 'Émile', 'Eve', 'Ève', 'Åsa', 'Ñoño', 'Li',
] as const;
export const PREFIXES = ['Dr.', 'Mr.', 'Mrs.', 'Ms.'] as const;
export const CITIES = ['São Paulo', 'Sao Paulo', 'Zürich', 'Zurich', 'Köln', 'Paris', 'paris', 'New York', 'Montréal', 'Oslo'] as const;
export const COUNTRIES = ['BR', 'CH', 'DE', 'FR', 'US', 'CA', 'NO'] as const;
export const ORG_NAMES = [
  'Hôpital Saint-Louis', 'Hopital Central', 'Universitätsklinikum Köln', 'General Hospital', 'general clinic',
  'Clínica São José', 'Northside Medical Group', 'Ärztehaus Nord', 'Acme Labs', 'ACME Diagnostics',
] as const;

export const IDENTIFIER_SYSTEMS = ['http://hospital.test/mrn', 'urn:oid:1.2.36.146.595.217.0.1', 'http://ssa.test/ssn'] as const;
export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const ID_TYPES = ['MR', 'SS', 'DL'] as const;

export const TAG_SYSTEM = 'http://vesta.test/tags';
export const TAGS: readonly { system?: string; code: string }[] = [
  { system: TAG_SYSTEM, code: 'alpha' }, { system: TAG_SYSTEM, code: 'beta' }, { code: 'alpha' },
  { system: 'http://other.test/tags', code: 'alpha' }, { system: TAG_SYSTEM, code: 'Gamma' },
];
export const SECURITY = [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }, { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }];
export const PROFILE_ROOT = 'http://vesta.test/StructureDefinition/';
export const PROFILES = [
  `${PROFILE_ROOT}patient-a`, `${PROFILE_ROOT}patient-a/child`, `${PROFILE_ROOT}obs/vitals`, `${PROFILE_ROOT}obs`,
  'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient', 'http://hl7.org/fhir/StructureDefinition/vitalsigns',
] as const;
export const SOURCES = ['http://vesta.test/source/ehr', 'http://vesta.test/source/lab#feed', 'urn:uuid:0b9a1d8e-1c11-4d8f-9f0a-1a2b3c4d5e6f'] as const;

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const LOCAL = 'http://vesta.test/codes';
export const UCUM = 'http://unitsofmeasure.org';
export const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
/** The R4 value set enumerating OBS_CATEGORY codes (for `category:in`). */
export const OBS_CATEGORY_VS = 'http://hl7.org/fhir/ValueSet/observation-category';
export const OBS_CATEGORIES = ['vital-signs', 'laboratory', 'survey', 'social-history', 'exam'] as const;

/** Observation codes: code, display, and a sensible quantity unit. */
export const OBS_CODES: readonly { code: string; display: string; unit: string; ucum: string; lo: number; hi: number }[] = [
  { code: '29463-7', display: 'Body weight', unit: 'kg', ucum: 'kg', lo: 2, hi: 150 },
  { code: '8302-2', display: 'Body height', unit: 'cm', ucum: 'cm', lo: 40, hi: 210 },
  { code: '8867-4', display: 'Heart rate', unit: 'beats/minute', ucum: '/min', lo: 40, hi: 180 },
  { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL', ucum: 'mg/dL', lo: 50, hi: 300 },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', unit: 'g/dL', ucum: 'g/dL', lo: 5, hi: 20 },
  { code: '8310-5', display: 'Body temperature', unit: 'Cel', ucum: 'Cel', lo: 34, hi: 42 },
  { code: '85354-9', display: 'Blood pressure panel', unit: 'mm[Hg]', ucum: 'mm[Hg]', lo: 40, hi: 200 },
];
export const BP_COMPONENTS = [
  { code: '8480-6', display: 'Systolic blood pressure' }, { code: '8462-4', display: 'Diastolic blood pressure' },
] as const;
export const LOCAL_CODES = ['W1', 'w1', 'GLU', 'BP', 'X-9'] as const;
export const SNOMED_CONCEPTS = [
  { code: '260385009', display: 'Negative' }, { code: '10828004', display: 'Positive' },
  { code: '371879000', display: 'Abnormally high' }, { code: '281302008', display: 'Above reference range' },
] as const;
export const VALUE_STRINGS = ['Normal', 'normal result', 'Élevé', 'eleve', 'See note', 'Trace amounts', 'négatif', 'ratio 1$2', 'a,b'] as const;
export const OBS_STATUSES = ['final', 'preliminary', 'amended', 'cancelled', 'registered'] as const;

export const ENC_STATUSES = ['planned', 'arrived', 'in-progress', 'finished', 'cancelled'] as const;
export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const ENC_CLASSES = ['AMB', 'IMP', 'EMER', 'HH'] as const;
export const ENC_TYPES = [{ code: '185349003', display: 'Encounter for check up' }, { code: '270427003', display: 'Patient-initiated encounter' }] as const;

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const RX_CODES = [
  { code: '197361', display: 'Amlodipine 5 MG Oral Tablet' }, { code: '311995', display: 'Metformin 500 MG' },
  { code: '1049221', display: 'Acetaminophen 325 MG' }, { code: '308136', display: 'Amoxicillin 500 MG' },
] as const;
export const MR_INTENTS = ['proposal', 'plan', 'order', 'original-order', 'instance-order'] as const;
export const MR_STATUSES = ['active', 'on-hold', 'cancelled', 'completed', 'stopped', 'draft'] as const;
export const MR_CATEGORY = 'http://terminology.hl7.org/CodeSystem/medicationrequest-category';
export const MR_CATEGORIES = ['inpatient', 'outpatient', 'community'] as const;

export const COND_CODES = [
  { system: SNOMED, code: '44054006', display: 'Diabetes mellitus type 2' }, { system: SNOMED, code: '38341003', display: 'Hypertensive disorder' },
  { system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11.9', display: 'Type 2 diabetes without complications' },
  { system: 'http://hl7.org/fhir/sid/icd-10', code: 'I10', display: 'Essential hypertension' },
] as const;
export const COND_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const COND_CLINICAL_CODES = ['active', 'recurrence', 'inactive', 'remission', 'resolved'] as const;
export const COND_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const COND_VERIFICATION_CODES = ['confirmed', 'provisional', 'refuted', 'unconfirmed'] as const;
export const SEVERITIES = [{ code: '24484000', display: 'Severe' }, { code: '6736007', display: 'Moderate' }, { code: '255604002', display: 'Mild' }] as const;
export const ONSET_STRINGS = ['Childhood', 'after surgery', 'Unknown onset', 'Últimos años'] as const;

export const ZONES = ['Z', '+02:00', '-05:00', '+05:30', '', '+14:00', '-12:00'] as const;
