import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createIndexer } from '../../../src/search/extract.js';
import { EXAMPLES_DIR, example, testRegistry, BASE } from './fixtures.js';
import type { IndexValue } from '../../../src/vocabulary/index-values.js';

interface OfficialSp { url: string; code: string; type: string; base: string[]; target?: string[]; expression?: string }

test('every official R4 SearchParameter of a resource has the same code, type and targets in the registry', () => {
  const reg = testRegistry();
  let checked = 0;
  for (const f of readdirSync(EXAMPLES_DIR).filter((n) => n.startsWith('SearchParameter-'))) {
    const sp = JSON.parse(readFileSync(EXAMPLES_DIR + f, 'utf8')) as OfficialSp;
    // Extension-based params of the examples package (e.g. patient-extensions-Patient-age) are not core R4 params.
    if (!sp.url.startsWith('http://hl7.org/fhir/SearchParameter/') || /extensions|genetic|example|filter/.test(sp.url)) continue;
    for (const base of sp.base) {
      const def = reg.get(base === 'Resource' || base === 'DomainResource' ? 'Patient' : base, sp.code);
      assert.ok(def, `${base}.${sp.code}`);
      assert.equal(def.type, sp.type);
      assert.deepEqual([...def.targets].sort(), [...(sp.target ?? [])].sort(), sp.url);
      checked++;
    }
  }
  assert.ok(checked > 1500, `checked ${checked}`);
});

test('Medplum-only parameters are not loaded', () => {
  const reg = testRegistry();
  assert.equal(reg.get('DetectedIssue', 'status'), undefined);
  assert.equal(reg.get('ServiceRequest', 'order-detail'), undefined);
  assert.equal(reg.get('Patient', '_compartment'), undefined);
});

test('multi-type expressions are narrowed to the resource type', () => {
  const reg = testRegistry();
  assert.equal(reg.get('Patient', 'name')?.expression, 'Patient.name');
  assert.equal(reg.get('Observation', 'patient')?.expression, 'Observation.subject.where(resolve() is Patient)');
  assert.equal(reg.get('Patient', '_lastUpdated')?.expression, 'Patient.meta.lastUpdated');
  assert.equal(reg.get('Patient', '_text')?.expression, undefined);
  assert.deepEqual(reg.get('Observation', 'code-value-quantity')?.components.map((c) => `${c.code}:${c.type}`),
    ['code:token', 'value-quantity:quantity']);
  assert.deepEqual(reg.get('Observation', 'date')?.comparators.length, 9);
  assert.ok(reg.get('Patient', 'name')?.modifiers.includes('exact'));
});

test('a SearchParameter added at run time is used by a new extraction', () => {
  const reg = testRegistry();
  const before = reg.forType('Basic').size;
  reg.add({
    resourceType: 'SearchParameter', url: 'https://vesta.example/sp/basic-author-display', name: 'authorDisplay', status: 'active',
    description: 'x', code: 'author-display', base: ['Basic'], type: 'string', expression: 'Basic.author.display',
  });
  assert.equal(reg.forType('Basic').size, before + 1);
  const rows = createIndexer(reg, { baseUrl: BASE }).extract({ resourceType: 'Basic', author: { display: 'Dr Öz' } } as { resourceType: string });
  assert.ok(rows.some((r) => r.param === 'author-display' && r.kind === 'string' && r.value === 'dr oz'));
});

test('every concrete R4 resource type is known and abstract ones are not', () => {
  const reg = testRegistry();
  assert.equal(reg.resourceTypes.length, 146);
  assert.ok(reg.isResourceType('Patient'));
  assert.ok(!reg.isResourceType('DomainResource'));
  assert.ok(!reg.isResourceType('patient'));
});

/** Rows with group numbers replaced by the group's content, so two extractions can be compared as sets. */
function canonical(rows: IndexValue[]): string[] {
  const groups = new Map<number, string[]>();
  const flat: string[] = [];
  for (const r of rows) {
    const { group, ...rest } = r;
    if (group === undefined) flat.push(JSON.stringify(rest));
    else groups.set(group, [...(groups.get(group) ?? []), JSON.stringify(rest)]);
  }
  for (const g of groups.values()) flat.push(`group:${g.sort().join(',')}`);
  return [...new Set(flat)].sort();
}

test('the fast path and fhirpath.js produce the same rows for every official R4 example', () => {
  const reg = testRegistry();
  const fast = createIndexer(reg, { baseUrl: BASE });
  const reference = createIndexer(reg, { baseUrl: BASE, fastPath: false });
  let compared = 0;
  const differ: string[] = [];
  for (const f of readdirSync(EXAMPLES_DIR)) {
    if (!f.endsWith('.json') || f === 'package.json') continue;
    const r = example(f);
    if (!reg.isResourceType(r.resourceType)) continue;
    // fhirpath.js fails on these (a Quantity with a comparator; union dedupe of equal components): known, not ours.
    if (f === 'Observation-f205.json' || f === 'Observation-decimal.json') continue;
    compared++;
    const a = canonical(fast.extract(r));
    const b = canonical(reference.extract(r));
    if (JSON.stringify(a) !== JSON.stringify(b)) differ.push(f);
  }
  assert.ok(compared > 5000);
  assert.deepEqual(differ, []);
});
