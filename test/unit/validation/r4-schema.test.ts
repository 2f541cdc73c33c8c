import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadR4Schema } from '../../../src/validation/r4-schema.js';
import { examplesDir } from './load-example.js';

interface Element { path: string; type?: { code: string }[]; contentReference?: string }
interface Sd { kind?: string; type?: string; derivation?: string; snapshot?: { element: Element[] } }

const schema = loadR4Schema();

/** Official child names of every element path, choice types expanded (`deceased[x]` → deceasedBoolean...). */
function officialChildren(): Map<string, Set<string>> {
  const children = new Map<string, Set<string>>();
  for (const file of readdirSync(examplesDir).filter((f) => f.startsWith('StructureDefinition-'))) {
    const sd = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as Sd;
    if (sd.derivation === 'constraint' || !sd.snapshot) continue;
    for (const e of sd.snapshot.element) {
      const dot = e.path.lastIndexOf('.');
      if (dot < 0) continue;
      const parent = e.path.slice(0, dot);
      const name = e.path.slice(dot + 1);
      const set = children.get(parent) ?? new Set<string>();
      children.set(parent, set);
      if (name.endsWith('[x]')) {
        for (const t of e.type ?? []) set.add(name.slice(0, -3) + t.code.charAt(0).toUpperCase() + t.code.slice(1));
      } else {
        set.add(name);
      }
    }
  }
  return children;
}

test('every complex schema definition has exactly the elements of the official R4 StructureDefinition', () => {
  const official = officialChildren();
  const mismatches: string[] = [];
  let checked = 0;
  for (const [name, def] of Object.entries(schema.definitions)) {
    if (!def.properties) continue;
    const path = schema.paths[name] as string;
    const expected = official.get(path);
    assert.ok(expected, `no official element ${path} for ${name}`);
    const actual = Object.keys(def.properties).filter((k) => !k.startsWith('_') && (k !== 'resourceType' || path.includes('.')));
    const extra = actual.filter((k) => !expected.has(k));
    const missing = [...expected].filter((k) => !actual.includes(k));
    if (extra.length || missing.length) mismatches.push(`${path}: extra ${extra.join(',')} missing ${missing.join(',')}`);
    checked++;
  }
  assert.ok(checked > 600);
  // Includes EvidenceVariable.characteristic, whose R4 elements Medplum replaced with R5 ones.
  assert.deepEqual(mismatches, []);
});

test('the pruned schema holds no Medplum resource type', () => {
  for (const name of ['Project', 'Bot', 'User', 'AccessPolicy', 'SubscriptionStatus', 'ResourceList']) {
    assert.equal(name in schema.definitions, false, name);
  }
  assert.equal(Object.keys(schema.definitions).filter((n) => /^[A-Z][A-Za-z]+$/.test(n) && schema.definitions[n]?.properties?.resourceType).length, 146);
});

test('primitive extension siblings are allowed beside primitives only', () => {
  const patient = schema.definitions.Patient?.properties ?? {};
  assert.ok('_birthDate' in patient && '_gender' in patient);
  assert.equal('_name' in patient, false);
  assert.ok('_profile' in (schema.definitions.Meta?.properties ?? {}));
});
