/// <reference types="fhir" />
/**
 * Seeded generator of Synthea-like FHIR R4 Patients, so every bench run sends the same data
 * and the payloads have the size and shape servers meet in practice (about 2 KB of JSON with
 * extensions, several identifiers, a geolocated address and a narrative).
 */
import { Random } from '../../test/support/random.js';

/** The shared seeded PRNG plus the helpers the generators need; same seed, same sequence. */
export class Rng extends Random {
  /** A random-looking but reproducible UUID (version 4 layout). */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16));
    hex[12] = '4';
    hex[16] = (8 + this.int(0, 3)).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  digits(n: number): string {
    return Array.from({ length: n }, () => this.int(0, 9)).join('');
  }
}

const MALE = ['James', 'John', 'Robert', 'Michael', 'William', 'David', 'Richard', 'Joseph', 'Thomas', 'Carlos', 'Wei', 'Ahmed', 'José', 'Liam'];
const FEMALE = ['Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'María', 'Mei', 'Fatima', 'Zoë', 'Emma', 'Olivia'];
const FAMILY = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'García', 'Miller', 'Davis', 'Rodríguez', 'Martínez', 'Nguyen', 'Kim', 'Müller', "O'Brien", 'Schaefer', 'Kuhlman'];
const STREETS = ['Main St', 'Oak Ave', 'Maple Dr', 'Cedar Ln', 'Elm St', 'Washington Blvd', 'Lake Rd', 'Hill St', 'Pine Ct', 'Park Way'];
const CITIES: readonly (readonly [string, string, number, number])[] = [
  ['Boston', '02118', 42.3601, -71.0589],
  ['Worcester', '01608', 42.2626, -71.8023],
  ['Springfield', '01103', 42.1015, -72.5898],
  ['Cambridge', '02139', 42.3736, -71.1097],
  ['Lowell', '01852', 42.6334, -71.3162],
  ['Brockton', '02301', 42.0834, -71.0184],
  ['Quincy', '02169', 42.2529, -71.0023],
  ['Lynn', '01902', 42.4668, -70.9495],
  ['New Bedford', '02740', 41.6362, -70.9342],
  ['Fall River', '02720', 41.7015, -71.155],
  ['Newton', '02458', 42.337, -71.2092],
  ['Pittsfield', '01201', 42.4501, -73.2454],
];
const RACES: readonly (readonly [string, string])[] = [
  ['2106-3', 'White'],
  ['2054-5', 'Black or African American'],
  ['2028-9', 'Asian'],
  ['1002-5', 'American Indian or Alaska Native'],
  ['2076-8', 'Native Hawaiian or Other Pacific Islander'],
];
const MARITAL: readonly (readonly [string, string])[] = [
  ['M', 'Married'],
  ['S', 'Never Married'],
  ['D', 'Divorced'],
  ['W', 'Widowed'],
];
const LANGUAGES: readonly (readonly [string, string])[] = [
  ['en-US', 'English'],
  ['es', 'Spanish'],
  ['zh', 'Chinese'],
  ['pt', 'Portuguese'],
];
const OMB = 'urn:oid:2.16.840.1.113883.6.238';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

function idType(code: string, display: string): fhir4.CodeableConcept {
  return { coding: [{ system: V2_0203, code, display }], text: display };
}

/** Synthea appends digits to names so that generated people are distinguishable. */
function synName(rng: Rng, names: readonly string[]): string {
  return `${rng.pick(names)}${rng.int(10, 999)}`;
}

/** Builds one valid FHIR R4 Patient (no id, no meta: the server assigns those). */
export function generatePatient(rng: Rng): fhir4.Patient {
  const male = rng.next() < 0.49;
  const gender = male ? 'male' : 'female';
  const given = synName(rng, male ? MALE : FEMALE);
  const middle = synName(rng, male ? MALE : FEMALE);
  const family = synName(rng, FAMILY);
  const year = rng.int(1930, 2022);
  const birthDate = `${year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
  const adult = year < 2006;
  const [city, zip, lat, lon] = rng.pick(CITIES);
  const [raceCode, raceText] = rng.pick(RACES);
  const hispanic = rng.next() < 0.18;
  const [langCode, langText] = rng.pick(LANGUAGES);
  const identifier: fhir4.Identifier[] = [
    { system: 'https://github.com/synthetichealth/synthea', value: rng.uuid() },
    { type: idType('MR', 'Medical Record Number'), system: 'http://hospital.smarthealthit.org', value: rng.uuid() },
    { type: idType('SS', 'Social Security Number'), system: 'http://hl7.org/fhir/sid/us-ssn', value: `999-${rng.digits(2)}-${rng.digits(4)}` },
  ];
  if (adult) {
    identifier.push({ type: idType('DL', "Driver's license number"), system: 'urn:oid:2.16.840.1.113883.4.3.25', value: `S999${rng.digits(5)}` });
  }
  if (adult && rng.next() < 0.4) {
    identifier.push({
      type: idType('PPN', 'Passport Number'),
      system: 'http://standardhealthrecord.org/fhir/StructureDefinition/passportNumber',
      value: `X${rng.digits(8)}X`,
    });
  }
  const name: fhir4.HumanName[] = [{ use: 'official', family, given: [given, middle], prefix: [male ? 'Mr.' : 'Ms.'] }];
  const marital = adult ? rng.pick(MARITAL) : (['S', 'Never Married'] as const);
  if (!male && marital[0] === 'M') name.push({ use: 'maiden', family: synName(rng, FAMILY), given: [given, middle] });
  const patient: fhir4.Patient = {
    resourceType: 'Patient',
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml">Generated by <a href="https://github.com/synthetichealth/synthea">Synthea</a>. ${given} ${family}, ${gender}, born ${birthDate}.</div>`,
    },
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
        extension: [
          { url: 'ombCategory', valueCoding: { system: OMB, code: raceCode, display: raceText } },
          { url: 'text', valueString: raceText },
        ],
      },
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
        extension: [
          {
            url: 'ombCategory',
            valueCoding: hispanic
              ? { system: OMB, code: '2135-2', display: 'Hispanic or Latino' }
              : { system: OMB, code: '2186-5', display: 'Not Hispanic or Latino' },
          },
          { url: 'text', valueString: hispanic ? 'Hispanic or Latino' : 'Not Hispanic or Latino' },
        ],
      },
      { url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName', valueString: `${synName(rng, FEMALE)} ${synName(rng, FAMILY)}` },
      { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: male ? 'M' : 'F' },
      {
        url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
        valueAddress: { city: rng.pick(CITIES)[0], state: 'Massachusetts', country: 'US' },
      },
      { url: 'http://synthetichealth.github.io/synthea/disability-adjusted-life-years', valueDecimal: Math.round(rng.next() * 500) / 100 },
      { url: 'http://synthetichealth.github.io/synthea/quality-adjusted-life-years', valueDecimal: Math.round(rng.next() * 8000) / 100 },
    ],
    identifier,
    name,
    telecom: [{ system: 'phone', value: `555-${rng.digits(3)}-${rng.digits(4)}`, use: 'home' }],
    gender,
    birthDate,
    address: [
      {
        extension: [
          {
            url: 'http://hl7.org/fhir/StructureDefinition/geolocation',
            extension: [
              { url: 'latitude', valueDecimal: Math.round((lat + (rng.next() - 0.5) / 10) * 1e6) / 1e6 },
              { url: 'longitude', valueDecimal: Math.round((lon + (rng.next() - 0.5) / 10) * 1e6) / 1e6 },
            ],
          },
        ],
        line: [`${rng.int(1, 9999)} ${rng.pick(STREETS)}`],
        city,
        state: 'MA',
        postalCode: zip,
        country: 'US',
      },
    ],
    maritalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: marital[0], display: marital[1] }],
      text: marital[1],
    },
    multipleBirthBoolean: rng.next() < 0.03,
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: langCode, display: langText }], text: langText } }],
  };
  if (year < 1950 && rng.next() < 0.3) patient.deceasedDateTime = `${rng.int(2000, 2023)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}T0${rng.int(0, 9)}:15:00-05:00`;
  return patient;
}

/** `count` Patients from `seed`; the same arguments always give the same list. */
export function generatePatients(count: number, seed: number): fhir4.Patient[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => generatePatient(rng));
}
