/**
 * US Core 3.1.1 / 6.1.0 search requirements for Patient, Observation and MedicationRequest, run over HTTP
 * against Synthea data and compared with an independent plain-JavaScript evaluation of each query.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { hasSharedData, putAll, readSynthea, SYNTHEA_DIR, syntheaFiles, withMedicationResources } from '../support/synthea.js';
import type { Json } from '../support/synthea.js';
import {
  allOf, codings, datePrefixMatches, effectiveInterval, identifierPairs, interval, nameParts, refersTo, startsWith, tokenMatches,
} from '../support/us-core-oracle.js';
import { assertSameIds, walk } from '../support/search-walk.js';

/**
 * Twelve of the 54 Bundles (about 2,200 resources, a few seconds to load), picked for the cases they hold:
 * two Eichmanns, two Bechtelar maiden names, two patients born 1955-04-12, deceased patients, a name suffix.
 */
const PICKED = ['02', '03', '12', '16', '18', '23', '33', '39', '40', '41', '46', '53'].map((n) => `patient-${n}.json`);
/** `VESTA_US_CORE_BUNDLES=all` runs the same cases over all 54 Bundles (about 17,700 resources; over a minute, so not the CI default). */
const bundles = (): string[] => (process.env.VESTA_US_CORE_BUNDLES === 'all' ? syntheaFiles() : PICKED);
const NO_DATA = `${SYNTHEA_DIR} is absent`;
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const LOINC = 'http://loinc.org';

let srv: TestServer;
let resources: Json[] = [];
const byType = new Map<string, Json[]>();
/**
 * The loaded resources of a type. Kept fast on purpose: the server shares this process, and a long synchronous
 * pause lets its keep-alive timer close a socket fetch is about to reuse ("fetch failed").
 */
const ofType = (type: string): Json[] => {
  if (byType.size === 0) {
    for (const r of resources) {
      const list = byType.get(r.resourceType) ?? [];
      list.push(r);
      byType.set(r.resourceType, list);
    }
  }
  return byType.get(type) ?? [];
};
const ids = (rs: Json[]): string[] => rs.map((r) => r.id as string);

before(async () => {
  if (!hasSharedData()) return;
  resources = withMedicationResources(readSynthea(bundles()));
  srv = await startTestServer();
  await putAll(srv.base, resources);
});
after(async () => {
  await srv?.close();
});

/** A test that needs shared/data; skipped with a message when it is absent. */
function dataTest(name: string, fn: () => Promise<void>): void {
  test(name, async (t: TestContext) => {
    if (!hasSharedData()) {
      t.skip(NO_DATA);
      return;
    }
    await fn();
  });
}

/** Runs `path?query` to the last page and asserts the matches are exactly `expected` (non-empty unless allowed). */
async function expectSearch(path: string, query: [string, string][], expected: string[], allowEmpty = false): Promise<void> {
  const what = `${path}?${new URLSearchParams(query).toString()}`;
  if (!allowEmpty) assert.ok(expected.length > 0, `test data gives ${what} a non-empty answer`);
  const got = await walk(srv.base, path, [...query, ['_count', '50']]);
  assertSameIds(got.matches, expected, what);
  for (const total of got.totals) assert.equal(total, expected.length, `Bundle.total of ${what}`);
}

const patientNamed = (family: string): Json => {
  const p = ofType('Patient').find((x) => (x.name as Json[]).some((n) => n.family === family));
  assert.ok(p, `a Patient named ${family} is loaded`);
  return p;
};
const patientWhere = (pred: (p: Json) => boolean): string[] => ids(ofType('Patient').filter(pred));

describe('US Core Patient searches', () => {
  dataTest('finds a Patient by _id', async () => {
    const p = patientNamed('Lakin');
    await expectSearch('Patient', [['_id', p.id]], [p.id]);
    await expectSearch('Patient', [['_id', `${p.id},${patientNamed('Koepp').id}`]], [p.id, patientNamed('Koepp').id]);
  });

  dataTest('finds a Patient by identifier with and without the system', async () => {
    const p = patientNamed('Casper');
    for (const ident of p.identifier as Json[]) {
      for (const q of [`${ident.system as string}|${ident.value as string}`, ident.value as string]) {
        await expectSearch('Patient', [['identifier', q]], patientWhere((x) => tokenMatches(identifierPairs(x.identifier), q)));
      }
    }
  });

  dataTest('finds Patients by name across family, given, prefix, suffix and maiden names', async () => {
    for (const q of ['Eichmann', 'eich', 'BECHTELAR', 'Hérmiston', 'Asa', 'phd', 'Mrs', 'l']) {
      await expectSearch('Patient', [['name', q]], patientWhere((x) => startsWith(nameParts(x), q)));
    }
  });

  dataTest('finds Patients by family and by given name', async () => {
    const family = (x: Json): string[] => (x.name as Json[]).map((n) => n.family as string);
    const given = (x: Json): string[] => (x.name as Json[]).flatMap((n) => (n.given ?? []) as string[]);
    for (const q of ['Eichmann', 'bech', 'W', 'Turner']) {
      await expectSearch('Patient', [['family', q]], patientWhere((x) => startsWith(family(x), q)), q === 'Turner');
    }
    for (const q of ['Mitch', 'ju', 'Mr']) {
      await expectSearch('Patient', [['given', q]], patientWhere((x) => startsWith(given(x), q)), q === 'Mr');
    }
  });

  dataTest('combines birthdate with name and with family', async () => {
    for (const [birth, name] of [['1955-04-12', 'Leannon'], ['1955-04-12', 'M'], ['le1985', 'Eichmann'], ['ge1990-01-01', 'e'], ['1955', 'w']]) {
      const bornThen = (x: Json): boolean => datePrefixMatches(birth, interval(x.birthDate as string));
      await expectSearch('Patient', [['birthdate', birth], ['name', name]], patientWhere((x) => bornThen(x) && startsWith(nameParts(x), name)));
      const families = (x: Json): string[] => (x.name as Json[]).map((n) => n.family as string);
      await expectSearch('Patient', [['birthdate', birth], ['family', name]], patientWhere((x) => bornThen(x) && startsWith(families(x), name)), name === 'e' || name === 'M');
    }
  });

  dataTest('combines gender with name and family with gender', async () => {
    for (const [gender, name] of [['male', 'Eichmann'], ['female', 'Bechtelar'], ['male', 'Bechtelar'], ['female', 'R']]) {
      const families = (x: Json): string[] => (x.name as Json[]).map((n) => n.family as string);
      const expectedByName = patientWhere((x) => x.gender === gender && startsWith(nameParts(x), name));
      await expectSearch('Patient', [['gender', gender], ['name', name]], expectedByName, gender === 'male' && name === 'Bechtelar');
      const expectedByFamily = patientWhere((x) => x.gender === gender && startsWith(families(x), name));
      await expectSearch('Patient', [['family', name], ['gender', gender]], expectedByFamily, gender === 'male' && name === 'Bechtelar');
    }
  });

  dataTest('combines death-date with family (US Core 6.1.0)', async () => {
    const families = (x: Json): string[] => (x.name as Json[]).map((n) => n.family as string);
    for (const [death, family] of [['le2000', 'L'], ['ge2015', 'W'], ['1976-07-06', 'Leannon']]) {
      await expectSearch('Patient', [['death-date', death], ['family', family]], patientWhere(
        (x) => x.deceasedDateTime !== undefined && datePrefixMatches(death, interval(x.deceasedDateTime as string)) && startsWith(families(x), family),
      ));
    }
  });
});

/** The same instant written with a `+hh:00`/`-hh:00` offset, to the second (US Core 6.1.0 date precision). */
const inZone = (instant: string, hours: number): string => {
  const local = new Date(Date.parse(instant) + hours * 3_600_000).toISOString().slice(0, 19);
  return `${local}${hours < 0 ? '-' : '+'}${String(Math.abs(hours)).padStart(2, '0')}:00`;
};

/** The Patient with the most Observations, whose records the Observation cases query. */
const busiest = (): Json => patientNamed('Lakin');
const bySubject = new Map<string, Map<string, Json[]>>();
/** Resources of `type` whose subject is Patient `patientId` (indexed once per type). */
const ofSubject = (type: string, patientId: string): Json[] => {
  let index = bySubject.get(type);
  if (!index) {
    index = new Map();
    for (const r of ofType(type)) {
      const ref = r.subject?.reference as string | undefined;
      if (!ref?.startsWith('Patient/')) continue;
      const list = index.get(ref.slice('Patient/'.length)) ?? [];
      list.push(r);
      index.set(ref.slice('Patient/'.length), list);
    }
    bySubject.set(type, index);
  }
  return index.get(patientId) ?? [];
};
const observationsOf = (patientId: string): Json[] => ofSubject('Observation', patientId);
/** The effective day of the observation at `fraction` of the sorted list (0.5: the median). */
const dayAt = (obs: Json[], fraction: number): string => {
  const days = obs.map((o) => (o.effectiveDateTime as string).slice(0, 10)).sort();
  return days[Math.min(days.length - 1, Math.floor(days.length * fraction))];
};

describe('US Core Observation searches', () => {
  dataTest('combines patient and category, with the patient as Type/id or bare id', async () => {
    for (const p of ofType('Patient')) {
      for (const cat of ['vital-signs', `${OBS_CATEGORY}|laboratory`, 'survey', 'exam']) {
        const expected = ids(observationsOf(p.id).filter((o) => (o.category as Json[]).some((c) => tokenMatches(codings(c), cat))));
        await expectSearch('Observation', [['patient', `Patient/${p.id as string}`], ['category', cat]], expected, cat === 'exam');
      }
    }
    const p = busiest();
    const expected = ids(observationsOf(p.id).filter((o) => (o.category as Json[]).some((c) => tokenMatches(codings(c), 'vital-signs'))));
    await expectSearch('Observation', [['patient', p.id], ['category', 'vital-signs']], expected);
  });

  dataTest('combines patient and code, with single codes and comma-separated alternatives', async () => {
    const p = busiest();
    for (const code of [`${LOINC}|8302-2`, '29463-7', `${LOINC}|8302-2,${LOINC}|29463-7`, `${LOINC}|55284-4,72166-2,${LOINC}|no-such-code`, `http://snomed.info/sct|8302-2`]) {
      const expected = ids(observationsOf(p.id).filter((o) => code.split(',').some((c) => tokenMatches(codings(o.code), c))));
      await expectSearch('Observation', [['patient', `Patient/${p.id as string}`], ['code', code]], expected, code.startsWith('http://snomed'));
    }
  });

  dataTest('combines patient, category and date with eq, ge, le, gt, lt and a two-sided range', async () => {
    const p = busiest();
    const vitals = observationsOf(p.id).filter((o) => (o.category as Json[]).some((c) => tokenMatches(codings(c), 'vital-signs')));
    const mid = dayAt(vitals, 0.5);
    const exact = vitals.find((o) => (o.effectiveDateTime as string).startsWith(mid))!.effectiveDateTime as string;
    const dates: string[][] = [
      [mid], [`ge${mid}`], [`le${mid}`], [`gt${mid}`], [`lt${mid}`], [mid.slice(0, 7)], [`ge${mid.slice(0, 4)}`], [`lt${mid.slice(0, 4)}`],
      [`ge${dayAt(vitals, 0.25)}`, `le${dayAt(vitals, 0.75)}`], [`gt${dayAt(vitals, 0.25)}`, `lt${dayAt(vitals, 0.75)}`],
      [exact], [`ge${exact}`], [`gt${exact}`], [`le${exact}`], [`lt${exact}`], [`ne${mid}`],
      [`gt${new Date(Date.parse(exact)).toISOString()}`], [`lt${new Date(Date.parse(exact)).toISOString()}`], [inZone(exact, -5)], [`gt${inZone(exact, -5)}`], [`le${inZone(exact, 9)}`], [`ge${inZone(exact, 9).slice(0, 16)}${inZone(exact, 9).slice(19)}`],
    ];
    for (const values of dates) {
      const expected = ids(vitals.filter(allOf(values, (v, o: Json) => datePrefixMatches(v, effectiveInterval(o)))));
      const query: [string, string][] = [['patient', `Patient/${p.id as string}`], ['category', 'vital-signs'], ...values.map((v): [string, string] => ['date', v])];
      await expectSearch('Observation', query, expected);
    }
  });

  dataTest('combines patient, code and date', async () => {
    const p = busiest();
    const heights = observationsOf(p.id).filter((o) => tokenMatches(codings(o.code), `${LOINC}|8302-2`));
    for (const values of [[`ge${dayAt(heights, 0.5)}`], [`lt${dayAt(heights, 0.5)}`], [dayAt(heights, 0.3)], [`ge${dayAt(heights, 0.2)}`, `le${dayAt(heights, 0.6)}`]]) {
      const expected = ids(heights.filter(allOf(values, (v, o: Json) => datePrefixMatches(v, effectiveInterval(o)))));
      await expectSearch('Observation', [['patient', `Patient/${p.id as string}`], ['code', `${LOINC}|8302-2`], ...values.map((v): [string, string] => ['date', v])], expected);
    }
  });

  dataTest('combines patient, category and status', async () => {
    const p = busiest();
    for (const status of ['final', 'final,amended', 'preliminary']) {
      const expected = ids(observationsOf(p.id).filter((o) => tokenMatches(codings(o.category[0]), 'laboratory') && status.split(',').includes(o.status)));
      await expectSearch('Observation', [['patient', p.id], ['category', 'laboratory'], ['status', status]], expected, status === 'preliminary');
    }
  });
});

const requestsOf = (patientId: string): Json[] => ofSubject('MedicationRequest', patientId);

describe('US Core MedicationRequest searches', () => {
  dataTest('combines patient and intent for every loaded patient', async () => {
    for (const p of ofType('Patient')) {
      const mine = requestsOf(p.id);
      await expectSearch('MedicationRequest', [['patient', `Patient/${p.id as string}`], ['intent', 'order']], ids(mine), mine.length === 0);
      await expectSearch('MedicationRequest', [['patient', p.id], ['intent', 'plan']], [], true);
    }
  });

  dataTest('combines patient, intent and status', async () => {
    const p = patientNamed('Wintheiser');
    for (const status of ['active', 'stopped', 'active,stopped', 'completed']) {
      const expected = ids(requestsOf(p.id).filter((m) => status.split(',').includes(m.status)));
      await expectSearch('MedicationRequest', [['patient', `Patient/${p.id as string}`], ['intent', 'order'], ['status', status]], expected, status === 'completed');
    }
  });

  dataTest('combines patient, intent and authoredon', async () => {
    const p = patientNamed('Wintheiser');
    const mine = requestsOf(p.id);
    const sorted = mine.map((m) => m.authoredOn as string).sort();
    const mid = sorted[Math.floor(sorted.length / 2)];
    for (const values of [[`ge${mid.slice(0, 10)}`], [`lt${mid.slice(0, 10)}`], [mid.slice(0, 10)], [`le${mid}`], [`gt${mid}`], [`ge${sorted[1].slice(0, 7)}`, `le${mid.slice(0, 4)}`]]) {
      const expected = ids(mine.filter(allOf(values, (v, m: Json) => datePrefixMatches(v, interval(m.authoredOn as string)))));
      await expectSearch('MedicationRequest', [['patient', p.id], ['intent', 'order'], ...values.map((v): [string, string] => ['authoredon', v])], expected);
    }
  });

  dataTest('combines patient, intent and encounter', async () => {
    for (const family of ['Wintheiser', 'Leannon', 'Hermiston']) {
      const p = patientNamed(family);
      for (const m of requestsOf(p.id)) {
        const enc = (m.encounter.reference as string).slice('Encounter/'.length);
        const expected = ids(requestsOf(p.id).filter((x) => refersTo(x.encounter, 'Encounter', enc)));
        await expectSearch('MedicationRequest', [['patient', p.id], ['intent', 'order'], ['encounter', `Encounter/${enc}`]], expected);
      }
    }
  });

  dataTest('includes each referenced Medication once with search mode include', async () => {
    for (const p of ofType('Patient')) {
      const mine = requestsOf(p.id);
      const got = await walk(srv.base, 'MedicationRequest', [['patient', p.id], ['intent', 'order'], ['_include', 'MedicationRequest:medication'], ['_count', '100']]);
      assertSameIds(got.matches, ids(mine), `MedicationRequest matches of ${p.id as string}`);
      const meds = [...new Set(mine.map((m) => m.medicationReference?.reference as string | undefined).filter((r): r is string => r !== undefined))];
      assertSameIds(got.includes, meds, `Medications included for ${p.id as string}`);
      const medEntries = got.pages.flatMap((b) => (b.entry ?? []) as Json[]).filter((e) => e.resource.resourceType === 'Medication');
      for (const e of medEntries) assert.equal(e.search.mode, 'include');
    }
    const leannon = requestsOf(patientNamed('Leannon').id).map((m) => m.medicationReference?.reference);
    assert.ok(leannon.length > new Set(leannon).size, 'the data has two requests sharing one Medication');
  });
});

/** The code-typed tokens US Core 6.1.0 asks to be searchable as `code` and as `system|code`, with their CodeSystems. */
const CODE_TOKENS: [string, string, string, string][] = [
  ['Patient', 'gender', 'http://hl7.org/fhir/administrative-gender', 'male'],
  ['Observation', 'status', 'http://hl7.org/fhir/observation-status', 'final'],
  ['MedicationRequest', 'status', 'http://hl7.org/fhir/CodeSystem/medicationrequest-status', 'active'],
  ['MedicationRequest', 'intent', 'http://hl7.org/fhir/CodeSystem/medicationrequest-intent', 'order'],
];

describe('US Core token searches on code elements', () => {
  const scoped = (type: string): [string, string][] => (type === 'Patient' ? [] : [['patient', busiest().id as string]]);
  const expectedFor = (type: string, param: string, code: string): string[] =>
    ids(ofType(type).filter((r) => r[param] === code && (type === 'Patient' || refersTo(r.subject, 'Patient', busiest().id))));

  dataTest('finds gender, status and intent by bare code and rejects a foreign system', async () => {
    for (const [type, param, , code] of CODE_TOKENS) {
      await expectSearch(type, [...scoped(type), [param, code]], expectedFor(type, param, code));
      await expectSearch(type, [...scoped(type), [param, `http://example.org/other|${code}`]], [], true);
    }
  });

  test('finds gender, status and intent by system|code as US Core 6.1.0 requires ("The server SHALL support both")', async (t: TestContext) => {
    if (!hasSharedData()) {
      t.skip(NO_DATA);
      return;
    }
    for (const [type, param, system, code] of CODE_TOKENS) {
      await expectSearch(type, [...scoped(type), [param, `${system}|${code}`]], expectedFor(type, param, code));
    }
  });
});

describe('US Core paging', () => {
  const pagesOf5 = async (path: string, query: [string, string][], expected: string[]): Promise<void> => {
    assert.ok(expected.length > 5, `${path} needs more than one page of data`);
    const got = await walk(srv.base, path, [...query, ['_count', '5']]);
    assertSameIds(got.matches, expected, `${path} walked 5 at a time`);
    assert.equal(got.pages.length, Math.ceil(expected.length / 5));
    for (const b of got.pages) {
      assert.ok(((b.entry ?? []) as Json[]).length <= 5, 'a page holds at most _count matches');
      assert.equal(b.total, expected.length);
    }
  };

  dataTest('walks Patient, Observation and MedicationRequest searches five at a time, each match once', async () => {
    await pagesOf5('Patient', [['name', 'm']], patientWhere((x) => startsWith(nameParts(x), 'm')));
    await pagesOf5('Patient', [['birthdate', 'ge1900']], ids(ofType('Patient')));
    const p = busiest();
    const labs = observationsOf(p.id).filter((o) => tokenMatches(codings(o.category[0]), 'laboratory'));
    await pagesOf5('Observation', [['patient', p.id], ['category', 'laboratory']], ids(labs));
    await pagesOf5('Observation', [['patient', p.id], ['category', 'laboratory'], ['date', `ge${dayAt(labs, 0.1)}`]],
      ids(labs.filter((o) => datePrefixMatches(`ge${dayAt(labs, 0.1)}`, effectiveInterval(o)))));
    await pagesOf5('MedicationRequest', [['patient', patientNamed('Wintheiser').id], ['intent', 'order']], ids(requestsOf(patientNamed('Wintheiser').id)));
    await pagesOf5('MedicationRequest', [['intent', 'order'], ['status', 'stopped']], ids(ofType('MedicationRequest').filter((m) => m.status === 'stopped')));
    const vitals = observationsOf(p.id).filter((o) => tokenMatches(codings(o.category[0]), 'vital-signs'));
    await pagesOf5(`Patient/${p.id as string}/Observation`, [['category', 'vital-signs']], ids(vitals));
  });

  dataTest('includes on every page the Medications and Observations of that page\'s matches', async () => {
    const byId = new Map(resources.map((r) => [`${r.resourceType as string}/${r.id as string}`, r]));
    const got = await walk(srv.base, 'MedicationRequest', [['intent', 'order'], ['_include', 'MedicationRequest:medication'], ['_count', '5']]);
    assertSameIds(got.matches, ids(ofType('MedicationRequest')), 'MedicationRequest?intent=order walked 5 at a time');
    for (const page of got.pages) {
      const entries = (page.entry ?? []) as Json[];
      const meds = entries.filter((e) => e.search.mode === 'match').map((e) => byId.get(`MedicationRequest/${e.resource.id as string}`)!.medicationReference?.reference)
        .filter((r): r is string => r !== undefined);
      assertSameIds(entries.filter((e) => e.search.mode === 'include').map((e) => `Medication/${e.resource.id as string}`), [...new Set(meds)], 'one page\'s Medications');
    }
    const eich = patientWhere((x) => startsWith(nameParts(x), 'Eichmann'));
    const rev = await walk(srv.base, 'Patient', [['name', 'Eichmann'], ['_revinclude', 'Observation:patient'], ['_count', '1']]);
    assertSameIds(rev.matches, eich, 'Patient?name=Eichmann walked 1 at a time');
    rev.pages.forEach((page, i) => {
      const own = ((page.entry ?? []) as Json[]).filter((e) => e.search.mode === 'include').map((e) => e.resource.id as string);
      assertSameIds(own, ids(observationsOf(rev.matches[i])), `Observations revincluded on page ${i + 1}`);
    });
  });
});

describe('Patient compartment and _revinclude', () => {
  dataTest('answers Patient/{id}/Observation?category=vital-signs like Observation?patient={id}&category=vital-signs', async () => {
    for (const p of ofType('Patient')) {
      const viaCompartment = await walk(srv.base, `Patient/${p.id as string}/Observation`, [['category', 'vital-signs'], ['_count', '100']]);
      const viaParam = await walk(srv.base, 'Observation', [['patient', p.id], ['category', 'vital-signs'], ['_count', '100']]);
      const expected = ids(observationsOf(p.id).filter((o) => (o.category as Json[]).some((c) => tokenMatches(codings(c), 'vital-signs'))));
      assertSameIds(viaCompartment.matches, expected, `Patient/${p.id as string}/Observation?category=vital-signs`);
      assertSameIds(viaParam.matches, expected, `Observation?patient=${p.id as string}&category=vital-signs`);
    }
  });

  dataTest('includes the Observations of the matched Patients with _revinclude=Observation:patient', async () => {
    for (const query of [[['_id', busiest().id]], [['family', 'Eichmann']], [['name', 'Bechtelar']]] as [string, string][][]) {
      const matched = patientWhere((x) => query.every(([k, v]) => (k === '_id' ? x.id === v : startsWith(k === 'family' ? (x.name as Json[]).map((n) => n.family) : nameParts(x), v))));
      const got = await walk(srv.base, 'Patient', [...query, ['_revinclude', 'Observation:patient'], ['_count', '10']]);
      assertSameIds(got.matches, matched, `Patient?${new URLSearchParams(query).toString()}`);
      const expected = matched.flatMap((id) => observationsOf(id).map((o) => `Observation/${o.id as string}`));
      assertSameIds(got.includes, expected, `Observations revincluded for ${new URLSearchParams(query).toString()}`);
    }
  });
});
