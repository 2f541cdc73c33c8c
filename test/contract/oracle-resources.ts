/**
 * Deterministic generation of a few thousand varied R4 resources for the search oracle: Patients,
 * Organizations, Practitioners, Observations, Encounters, MedicationRequests and Conditions, with
 * references between them (local, absolute on the base, external, identifier-only, version-specific).
 */
import type { Random } from './oracle-random.js';
import * as P from './oracle-pools.js';

/** A generated resource (JSON object with resourceType and id). */
export type Json = { resourceType: string; id: string; [k: string]: unknown };

/** How many resources of each type to generate. */
export const ORACLE_SIZES = {
  Organization: 60, Practitioner: 100, Patient: 400, Encounter: 350, Observation: 1100, MedicationRequest: 400, Condition: 300,
} as const;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A date/dateTime string at a random precision (year … milliseconds), times with a random zone. */
export function randomDate(rng: Random, fromYear: number, toYear: number, opts: { time?: boolean } = {}): string {
  const y = rng.int(fromYear, toYear);
  const mo = rng.int(1, 12);
  const d = rng.int(1, 28);
  const precision = rng.weighted<'y' | 'm' | 'd' | 'min' | 's' | 'ms'>(opts.time === false
    ? [[1, 'y'], [2, 'm'], [5, 'd']]
    : [[1, 'y'], [1, 'm'], [3, 'd'], [1, 'min'], [3, 's'], [2, 'ms']]);
  if (precision === 'y') return `${y}`;
  if (precision === 'm') return `${y}-${pad(mo)}`;
  const day = `${y}-${pad(mo)}-${pad(d)}`;
  if (precision === 'd') return day;
  const t = `${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}`;
  const zone = rng.pick(P.ZONES);
  if (precision === 'min') return `${day}T${t}${zone}`;
  const s = `${t}:${pad(rng.int(0, 59))}`;
  return precision === 's' ? `${day}T${s}${zone}` : `${day}T${s}.${pad(rng.int(0, 999), 3)}${zone}`;
}

function coding(system: string | undefined, code: string, display?: string): Json[keyof Json] {
  return { ...(system === undefined ? {} : { system }), code, ...(display === undefined ? {} : { display }) };
}

/** A reference to `type/id` in one of the shapes FHIR allows. */
function reference(rng: Random, type: string, id: string): Record<string, unknown> {
  return rng.weighted<Record<string, unknown>>([
    [10, { reference: `${type}/${id}` }],
    [2, { reference: `${P.ORACLE_BASE}/${type}/${id}` }],
    [1, { reference: `${type}/${id}/_history/1` }],
    [2, { reference: `${type}/${id}`, display: 'someone' }],
    [1, { reference: `${type}/${id}`, identifier: { system: P.IDENTIFIER_SYSTEMS[0], value: `ref-${id}` } }],
  ]);
}

/** An external or identifier-only reference (not resolvable locally). */
function foreignReference(rng: Random, type: string): Record<string, unknown> {
  return rng.weighted<Record<string, unknown>>([
    [2, { reference: `http://other.example/fhir/${type}/x${rng.int(1, 5)}` }],
    [2, { identifier: { system: rng.pick(P.IDENTIFIER_SYSTEMS), value: `ext-${rng.int(1, 9)}` } }],
    [1, { identifier: { value: `ext-${rng.int(1, 9)}` }, display: 'no system' }],
  ]);
}

function humanName(rng: Random): Record<string, unknown> {
  const n: Record<string, unknown> = {};
  if (rng.chance(0.95)) n['family'] = rng.pick(P.FAMILIES);
  if (rng.chance(0.9)) n['given'] = rng.sample(P.GIVENS, rng.int(1, 3));
  if (rng.chance(0.2)) n['prefix'] = [rng.pick(P.PREFIXES)];
  if (rng.chance(0.15)) n['text'] = `${(n['given'] as string[] | undefined)?.join(' ') ?? ''} ${String(n['family'] ?? '')}`.trim() || 'Anon';
  if (rng.chance(0.3)) n['use'] = rng.pick(['official', 'usual', 'nickname']);
  return n;
}

function identifiers(rng: Random, prefix: string, max: number): Record<string, unknown>[] {
  return Array.from({ length: rng.int(0, max) }, () => {
    const id: Record<string, unknown> = { value: `${prefix}${rng.int(1, 400)}` };
    if (rng.chance(0.8)) id['system'] = rng.pick(P.IDENTIFIER_SYSTEMS);
    if (rng.chance(0.4)) id['type'] = { coding: [coding(P.V2_0203, rng.pick(P.ID_TYPES))], ...(rng.chance(0.3) ? { text: 'Medical record number' } : {}) };
    return id;
  });
}

function address(rng: Random): Record<string, unknown> {
  return {
    line: [`${rng.int(1, 300)} ${rng.pick(['Rue de la Paix', 'Hauptstraße', 'Main St', 'Avenida Paulista'])}`],
    city: rng.pick(P.CITIES), postalCode: `${rng.int(10000, 99999)}`, country: rng.pick(P.COUNTRIES),
    ...(rng.chance(0.5) ? { use: rng.pick(['home', 'work']) } : {}),
  };
}

function telecom(rng: Random): Record<string, unknown>[] {
  return Array.from({ length: rng.int(0, 2) }, () => rng.chance(0.5)
    ? { system: 'phone', value: `+1-555-${rng.int(100, 130)}` }
    : { system: 'email', value: `${rng.pick(['ann', 'bob', 'Zoe'])}${rng.int(1, 30)}@example.org` });
}

function meta(rng: Random, type: string): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (rng.chance(0.35)) m['tag'] = rng.sample(P.TAGS, rng.int(1, 2)).map((t) => ({ ...t }));
  if (rng.chance(0.1)) m['security'] = [{ ...rng.pick(P.SECURITY) }];
  if (rng.chance(0.3)) m['profile'] = rng.sample(type === 'Observation' ? P.PROFILES.slice(2) : P.PROFILES, rng.int(1, 2));
  if (rng.chance(0.2)) m['source'] = rng.pick(P.SOURCES);
  return m;
}

function quantity(rng: Random, unit: string, ucum: string, lo: number, hi: number): Record<string, unknown> {
  const raw = lo + rng.next() * (hi - lo);
  const value = rng.weighted([[3, Math.round(raw)], [3, Math.round(raw * 10) / 10], [1, Math.round(raw * 100) / 100]]);
  return rng.weighted<Record<string, unknown>>([
    [6, { value, unit, system: P.UCUM, code: ucum }],
    [1, { value, unit }],
    [1, { value, system: P.UCUM, code: ucum }],
    [1, { value: value * 1000, unit: `m${unit}`, system: P.UCUM, code: `m${ucum}` }],
  ]);
}

/** Everything generated, per type, in write order (targets of references before their sources). */
export interface OracleData {
  resources: Json[];
  ids: Record<keyof typeof ORACLE_SIZES, string[]>;
}

/** Generates the oracle data set; ids are `<prefix><n>` (a few with dots and dashes). */
export function generateResources(rng: Random): OracleData {
  const ids = Object.fromEntries(Object.entries(ORACLE_SIZES).map(([t, n]) => [t, Array.from({ length: n }, (_, i) =>
    `${t.slice(0, 3).toLowerCase()}${i % 17 === 5 ? `-x.${i}` : i}`)])) as OracleData['ids'];
  const out: Json[] = [];
  const some = (type: keyof typeof ORACLE_SIZES) => rng.pick(ids[type]);

  for (const id of ids.Organization) {
    const o: Json = { resourceType: 'Organization', id, name: rng.pick(P.ORG_NAMES), active: rng.chance(0.8) };
    if (rng.chance(0.3)) o['alias'] = [rng.pick(P.ORG_NAMES)];
    o['identifier'] = identifiers(rng, 'ORG', 2);
    if (rng.chance(0.5)) o['type'] = [{ coding: [coding('http://terminology.hl7.org/CodeSystem/organization-type', rng.pick(['prov', 'dept', 'team']))] }];
    if (rng.chance(0.4) && out.length > 0) o['partOf'] = reference(rng, 'Organization', rng.pick(out).id);
    if (rng.chance(0.7)) o['address'] = [address(rng)];
    out.push(o);
  }
  for (const id of ids.Practitioner) {
    out.push({
      resourceType: 'Practitioner', id, name: Array.from({ length: rng.int(1, 2) }, () => humanName(rng)),
      identifier: identifiers(rng, 'NPI', 2), telecom: telecom(rng), ...(rng.chance(0.8) ? { gender: rng.pick(['male', 'female', 'other']) } : {}),
      ...(rng.chance(0.5) ? { address: [address(rng)] } : {}), ...(rng.chance(0.7) ? { active: rng.chance(0.8) } : {}),
    });
  }
  for (const id of ids.Patient) {
    const p: Json = { resourceType: 'Patient', id };
    if (rng.chance(0.95)) p['name'] = Array.from({ length: rng.int(1, 2) }, () => humanName(rng));
    p['identifier'] = identifiers(rng, 'MRN', 3);
    p['telecom'] = telecom(rng);
    if (rng.chance(0.9)) p['gender'] = rng.pick(['male', 'female', 'other', 'unknown']);
    if (rng.chance(0.9)) p['birthDate'] = randomDate(rng, 1930, 2024, { time: false });
    if (rng.chance(0.7)) p['address'] = Array.from({ length: rng.int(1, 2) }, () => address(rng));
    const death = rng.weighted([[6, 'none'], [3, 'bool'], [1, 'date']] as const);
    if (death === 'bool') p['deceasedBoolean'] = rng.chance(0.4);
    if (death === 'date') p['deceasedDateTime'] = randomDate(rng, 2000, 2024);
    if (rng.chance(0.7)) p['active'] = rng.chance(0.85);
    if (rng.chance(0.6)) {
      p['generalPractitioner'] = Array.from({ length: rng.int(1, 2) }, () => rng.weighted<Record<string, unknown>>([
        [6, reference(rng, 'Practitioner', some('Practitioner'))], [2, reference(rng, 'Organization', some('Organization'))],
        [1, foreignReference(rng, 'Practitioner')],
      ]));
    }
    if (rng.chance(0.75)) p['managingOrganization'] = reference(rng, 'Organization', some('Organization'));
    if (rng.chance(0.2)) p['communication'] = [{ language: { coding: [coding('urn:ietf:bcp:47', rng.pick(['en', 'fr', 'de', 'pt-BR']))] } }];
    out.push(p);
  }
  for (const id of ids.Encounter) {
    const e: Json = {
      resourceType: 'Encounter', id, status: rng.pick(P.ENC_STATUSES),
      class: coding(P.ACT_CODE, rng.pick(P.ENC_CLASSES)),
    };
    if (rng.chance(0.7)) e['type'] = [{ coding: [coding(P.SNOMED, ...Object.values(rng.pick(P.ENC_TYPES)) as [string, string])] }];
    if (rng.chance(0.95)) e['subject'] = reference(rng, 'Patient', some('Patient'));
    if (rng.chance(0.7)) e['participant'] = [{ individual: reference(rng, 'Practitioner', some('Practitioner')) }];
    if (rng.chance(0.85)) {
      const start = rng.chance(0.85) ? randomDate(rng, 2015, 2024) : undefined;
      const end = rng.chance(0.6) || start === undefined ? randomDate(rng, 2015, 2025) : undefined;
      e['period'] = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
    }
    if (rng.chance(0.5)) e['serviceProvider'] = reference(rng, 'Organization', some('Organization'));
    if (rng.chance(0.4)) e['length'] = { value: rng.int(5, 600), unit: 'min', system: P.UCUM, code: 'min' };
    out.push(e);
  }
  for (const id of ids.Observation) out.push(observation(rng, id, some));
  for (const id of ids.MedicationRequest) {
    const m: Json = { resourceType: 'MedicationRequest', id, intent: rng.pick(P.MR_INTENTS), status: rng.pick(P.MR_STATUSES) };
    if (rng.chance(0.75)) {
      const rx = rng.pick(P.RX_CODES);
      m['medicationCodeableConcept'] = { coding: [coding(rng.chance(0.9) ? P.RXNORM : undefined, rx.code, rx.display)], ...(rng.chance(0.3) ? { text: rx.display } : {}) };
    } else m['medicationReference'] = { reference: `Medication/med-${rng.int(1, 5)}` };
    m['subject'] = reference(rng, 'Patient', some('Patient'));
    if (rng.chance(0.6)) m['encounter'] = reference(rng, 'Encounter', some('Encounter'));
    if (rng.chance(0.8)) m['authoredOn'] = randomDate(rng, 2018, 2025);
    if (rng.chance(0.7)) m['requester'] = reference(rng, 'Practitioner', some('Practitioner'));
    if (rng.chance(0.5)) m['category'] = [{ coding: [coding(P.MR_CATEGORY, rng.pick(P.MR_CATEGORIES))] }];
    out.push(m);
  }
  for (const id of ids.Condition) {
    const cc = rng.pick(P.COND_CODES);
    const c: Json = { resourceType: 'Condition', id, code: { coding: [coding(cc.system, cc.code, cc.display)], ...(rng.chance(0.3) ? { text: cc.display } : {}) } };
    if (rng.chance(0.85)) c['clinicalStatus'] = { coding: [coding(P.COND_CLINICAL, rng.pick(P.COND_CLINICAL_CODES))] };
    if (rng.chance(0.7)) c['verificationStatus'] = { coding: [coding(P.COND_VERIFICATION, rng.pick(P.COND_VERIFICATION_CODES))] };
    if (rng.chance(0.5)) c['severity'] = { coding: [coding(P.SNOMED, ...Object.values(rng.pick(P.SEVERITIES)) as [string, string])] };
    c['subject'] = reference(rng, 'Patient', some('Patient'));
    if (rng.chance(0.5)) c['encounter'] = reference(rng, 'Encounter', some('Encounter'));
    const onset = rng.weighted([[4, 'dateTime'], [2, 'Period'], [1, 'Age'], [1, 'string'], [2, 'none']] as const);
    if (onset === 'dateTime') c['onsetDateTime'] = randomDate(rng, 1990, 2024);
    if (onset === 'Period') c['onsetPeriod'] = rng.chance(0.5) ? { start: randomDate(rng, 1990, 2020) } : { end: randomDate(rng, 1990, 2024) };
    if (onset === 'Age') c['onsetAge'] = { value: rng.int(1, 90), unit: 'a', system: P.UCUM, code: 'a' };
    if (onset === 'string') c['onsetString'] = rng.pick(P.ONSET_STRINGS);
    if (rng.chance(0.7)) c['recordedDate'] = randomDate(rng, 2000, 2025);
    if (rng.chance(0.3)) c['asserter'] = reference(rng, 'Practitioner', some('Practitioner'));
    out.push(c);
  }
  return { resources: out, ids };
}

function observation(rng: Random, id: string, some: (t: keyof typeof ORACLE_SIZES) => string): Json {
  const spec = rng.pick(P.OBS_CODES);
  const codings: unknown[] = [coding(P.LOINC, spec.code, rng.chance(0.7) ? spec.display : undefined)];
  if (rng.chance(0.3)) codings.push(coding(rng.chance(0.5) ? P.LOCAL : undefined, rng.pick(P.LOCAL_CODES)));
  const o: Json = {
    resourceType: 'Observation', id, status: rng.pick(P.OBS_STATUSES),
    code: { coding: codings, ...(rng.chance(0.3) ? { text: spec.display } : {}) },
  };
  if (rng.chance(0.8)) {
    o['category'] = [{ coding: rng.sample(P.OBS_CATEGORIES, rng.int(1, 2)).map((c) => coding(P.OBS_CATEGORY, c)) }];
  }
  const subject = rng.weighted([[12, 'Patient'], [1, 'foreign'], [1, 'none']] as const);
  if (subject === 'Patient') o['subject'] = reference(rng, 'Patient', some('Patient'));
  if (subject === 'foreign') o['subject'] = foreignReference(rng, 'Patient');
  if (rng.chance(0.6)) {
    o['performer'] = Array.from({ length: rng.int(1, 2) }, () => rng.weighted<Record<string, unknown>>([
      [5, reference(rng, 'Practitioner', some('Practitioner'))], [2, reference(rng, 'Organization', some('Organization'))],
      [1, foreignReference(rng, 'Practitioner')],
    ]));
  }
  if (rng.chance(0.5)) o['encounter'] = reference(rng, 'Encounter', some('Encounter'));
  const effective = rng.weighted([[6, 'dateTime'], [2, 'Period'], [1, 'instant'], [1, 'none']] as const);
  if (effective === 'dateTime') o['effectiveDateTime'] = randomDate(rng, 2010, 2025);
  if (effective === 'instant') o['effectiveInstant'] = `${rng.int(2020, 2024)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}T${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}.${pad(rng.int(0, 999), 3)}Z`;
  if (effective === 'Period') {
    const which = rng.weighted([[2, 'start'], [2, 'end'], [1, 'both']] as const);
    o['effectivePeriod'] = {
      ...(which !== 'end' ? { start: randomDate(rng, 2010, 2020) } : {}),
      ...(which !== 'start' ? { end: randomDate(rng, 2020, 2025) } : {}),
    };
  }
  if (spec.code === '85354-9') {
    o['component'] = BP(rng);
  } else {
    const value = rng.weighted([[6, 'Quantity'], [2, 'string'], [2, 'CodeableConcept'], [1, 'none']] as const);
    if (value === 'Quantity') o['valueQuantity'] = quantity(rng, spec.unit, spec.ucum, spec.lo, spec.hi);
    if (value === 'string') o['valueString'] = rng.pick(P.VALUE_STRINGS);
    if (value === 'CodeableConcept') {
      const c = rng.pick(P.SNOMED_CONCEPTS);
      o['valueCodeableConcept'] = { coding: [coding(P.SNOMED, c.code, c.display)], ...(rng.chance(0.4) ? { text: c.display } : {}) };
    }
  }
  return o;
}

function BP(rng: Random): Record<string, unknown>[] {
  return P.BP_COMPONENTS.filter(() => rng.chance(0.9)).map((c, i) => ({
    code: { coding: [coding(P.LOINC, c.code, c.display)] },
    ...(rng.chance(0.9) ? { valueQuantity: quantity(rng, 'mm[Hg]', 'mm[Hg]', i === 0 ? 90 : 50, i === 0 ? 180 : 110) } : {}),
  }));
}

/** Stamps meta the way the write service would: versionId, a varied lastUpdated, plus tags/profiles/source. */
export function stamp(rng: Random, r: Json, versionId: string, lastUpdated: string): Json {
  return { ...r, meta: { versionId, lastUpdated, ...meta(rng, r.resourceType) } };
}
