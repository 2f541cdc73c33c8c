/**
 * Reads the US Core server CapabilityStatements from the US Core packages and checks that Vesta accepts,
 * in strict handling, every search parameter, combination, `_include` and `_revinclude` they list for
 * Patient, Observation and MedicationRequest, and that Vesta's own CapabilityStatement declares them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { hasSharedData, PACKAGES_DIR, usCoreServerCapability } from '../support/synthea.js';
import type { Json } from '../support/synthea.js';
import { searchUrl } from '../support/search-walk.js';

const VERSIONS = ['311', '610', '700'];
const TYPES = ['Patient', 'Observation', 'MedicationRequest'];
const COMBINATION = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination';
const EXPECTATION = 'http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation';

/**
 * Plausible values per parameter (several where US Core asks the server to support several forms: a bare
 * code and system|code for tokens; a day and a second with offset for dates).
 */
const VALUES: Record<string, Record<string, string[]>> = {
  '*': {
    _id: ['example', 'a,b'],
    _lastUpdated: ['ge2024-01-01T00:00:00+00:00', 'lt2030'],
    patient: ['Patient/example', 'example'],
    encounter: ['Encounter/example'],
  },
  Patient: {
    identifier: ['http://hospital.smarthealthit.org|1032702', '1032702'],
    name: ['Smith'], family: ['Shaw'], given: ['Amy'],
    birthdate: ['1987-02-20', 'ge1980-01-01'], 'death-date': ['le2020-01-01', '2019-05-01'],
    gender: ['female', 'http://hl7.org/fhir/administrative-gender|female'],
  },
  Observation: {
    category: ['vital-signs', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory'],
    code: ['http://loinc.org|8867-4', '8867-4', 'http://loinc.org|8302-2,http://loinc.org|29463-7'],
    date: ['ge2019-01-01', 'ge2019-01-01T00:00:00+00:00', 'lt2020-06-30T12:30:00-05:00'],
    status: ['final', 'http://hl7.org/fhir/observation-status|final', 'final,amended'],
  },
  MedicationRequest: {
    intent: ['order', 'http://hl7.org/fhir/CodeSystem/medicationrequest-intent|order', 'order,plan'],
    status: ['active', 'http://hl7.org/fhir/CodeSystem/medicationrequest-status|active'],
    authoredon: ['ge2019-01-01', 'ge2019-01-01T00:00:00+00:00'],
  },
};

const valuesFor = (type: string, name: string): string[] => {
  const v = VALUES[type]?.[name] ?? VALUES['*'][name];
  assert.ok(v, `the test knows a plausible value for ${type}?${name}`);
  return v;
};

/** One US Core requirement on a type's search. */
interface Requirement {
  version: string;
  type: string;
  expectation: string;
  params: string[];
}

/** Every searchParam and every combination US Core `version` lists for `type`. */
function requirements(version: string, type: string): { single: Requirement[]; combos: Requirement[]; rest: Json } {
  const cs = usCoreServerCapability(version);
  const rest = (cs.rest as Json[])[0].resource.find((r: Json) => r.type === type) as Json;
  assert.ok(rest, `US Core ${version} has ${type}`);
  const expectationOf = (ext: Json[] | undefined): string => (ext ?? []).find((e) => e.url === EXPECTATION)?.valueCode ?? 'MAY';
  const single = ((rest.searchParam ?? []) as Json[]).map((p) => ({ version, type, expectation: expectationOf(p.extension), params: [p.name as string] }));
  const combos = ((rest.extension ?? []) as Json[]).filter((e) => e.url === COMBINATION).map((e) => ({
    version, type, expectation: expectationOf(e.extension),
    params: (e.extension as Json[]).filter((x) => x.url === 'required').map((x) => x.valueString as string),
  }));
  return { single, combos, rest };
}

/** The queries a requirement expands to: the first value of every parameter, then each other value in turn. */
function queriesFor(req: Requirement): [string, string][][] {
  const base = req.params.map((p): [string, string] => [p, valuesFor(req.type, p)[0]]);
  const out = [base];
  req.params.forEach((p, i) => {
    for (const v of valuesFor(req.type, p).slice(1)) out.push(base.map((pair, j): [string, string] => (j === i ? [p, v] : pair)));
  });
  return out;
}

let srv: TestServer;
before(async () => {
  if (hasSharedData()) srv = await startTestServer();
});
after(async () => {
  await srv?.close();
});

/** A test that needs the US Core packages; skipped with a message when shared/data is absent. */
function packageTest(name: string, fn: () => Promise<void>): void {
  test(name, async (t: TestContext) => {
    if (!hasSharedData()) {
      t.skip(`${PACKAGES_DIR} is absent`);
      return;
    }
    await fn();
  });
}

/** Asserts strict handling answers 200 with a searchset Bundle. */
async function assertAccepted(type: string, query: [string, string][], why: string): Promise<void> {
  const url = searchUrl(srv.base, type, query);
  const res = await fhir('GET', url, { headers: { Prefer: 'handling=strict' } });
  assert.equal(res.status, 200, `${why}: GET ${url} → ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.body.resourceType, 'Bundle');
  assert.equal(res.body.type, 'searchset');
}

describe('US Core server CapabilityStatements', () => {
  for (const version of VERSIONS) {
    packageTest(`accepts every US Core ${version} search parameter of Patient, Observation and MedicationRequest in strict handling`, async () => {
      let count = 0;
      for (const type of TYPES) {
        for (const req of requirements(version, type).single) {
          for (const q of queriesFor(req)) {
            await assertAccepted(type, q, `US Core ${version} ${req.expectation} ${type} parameter ${req.params[0]}`);
            count++;
          }
        }
      }
      assert.ok(count >= 18, `US Core ${version} lists the parameters this test expects (${count} queries)`);
    });

    packageTest(`accepts every US Core ${version} search parameter combination in strict handling`, async () => {
      let shall = 0;
      for (const type of TYPES) {
        for (const req of requirements(version, type).combos) {
          assert.ok(req.params.length >= 2, `a combination of ${type} names at least two parameters`);
          for (const q of queriesFor(req)) await assertAccepted(type, q, `US Core ${version} ${req.expectation} combination ${req.params.join('+')}`);
          if (req.expectation === 'SHALL') shall++;
        }
      }
      assert.ok(shall >= 7, `US Core ${version} has SHALL combinations for all three types (${shall})`);
    });

    packageTest(`accepts the US Core ${version} _include and _revinclude values in strict handling`, async () => {
      for (const type of TYPES) {
        const { rest } = requirements(version, type);
        const first = requirements(version, type).combos.find((c) => c.expectation === 'SHALL')!;
        const base = first.params.map((p): [string, string] => [p, valuesFor(type, p)[0]]);
        for (const inc of (rest.searchInclude ?? []) as string[]) await assertAccepted(type, [...base, ['_include', inc]], `US Core ${version} include`);
        for (const rev of (rest.searchRevInclude ?? []) as string[]) await assertAccepted(type, [...base, ['_revinclude', rev]], `US Core ${version} revinclude`);
      }
    });

    packageTest(`lists every US Core ${version} search parameter, include and revinclude in Vesta's CapabilityStatement`, async () => {
      const res = await fhir('GET', `${srv.base}/metadata`);
      assert.equal(res.status, 200);
      const rest = (res.body.rest as Json[])[0];
      const common = new Map(((rest.searchParam ?? []) as Json[]).map((p) => [p.name as string, p.type as string]));
      for (const type of TYPES) {
        const mine = ((rest.resource as Json[]).find((r) => r.type === type) ?? {}) as Json;
        assert.ok(((mine.interaction ?? []) as Json[]).some((i) => i.code === 'search-type'), `${type} declares search-type`);
        const declared = new Map([...common, ...((mine.searchParam ?? []) as Json[]).map((p): [string, string] => [p.name, p.type])]);
        const theirs = requirements(version, type).rest;
        for (const p of (theirs.searchParam ?? []) as Json[]) {
          assert.equal(declared.get(p.name), p.type, `Vesta declares ${type}?${p.name as string} of type ${p.type as string}`);
        }
        for (const inc of (theirs.searchInclude ?? []) as string[]) {
          assert.ok(((mine.searchInclude ?? []) as string[]).includes(inc), `Vesta declares ${type} _include=${inc}`);
        }
        for (const rev of (theirs.searchRevInclude ?? []) as string[]) {
          assert.ok(((mine.searchRevInclude ?? []) as string[]).includes(rev), `Vesta declares ${type} _revinclude=${rev}`);
        }
      }
    });
  }
});
