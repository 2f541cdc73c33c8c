/**
 * The SQLite index writer's `replace` keeps a resource's stored index rows equal to what was asked, as a multiset,
 * whatever changed between versions: values added, removed, changed, moved, repeated, in composite groups. It walks
 * the stored and wanted rows side by side and matches only what that leaves by content, so these cases check the
 * walk against the plain answer (the rows a fresh insert would give) and that unchanged rows keep their rowid.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { IndexValue } from '../../src/vocabulary/index-values.js';
import { prepareIndexWriter } from '../../src/store/sqlite/index-writer.js';
import { INDEX_KINDS, INDEX_TABLES, migrate } from '../../src/store/sqlite/schema.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-index-writer-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const db = new Database(path.join(root, 'index.db'));
migrate(db);
const writer = prepareIndexWriter(db);
after(() => db.close());

/** Every stored row of `rid` without its rowid, sorted: the multiset to compare. */
function rowsOf(rid: number): string[] {
  const out: string[] = [];
  for (const kind of INDEX_KINDS) {
    for (const row of db.prepare(`SELECT * FROM ${INDEX_TABLES[kind]} WHERE rid = ?`).all(rid) as Record<string, unknown>[]) {
      out.push(JSON.stringify([kind, ...Object.entries(row).filter(([k]) => k !== 'rid')]));
    }
  }
  return out.sort();
}

function rowIds(rid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of db.prepare(`SELECT rowid AS id, param, value FROM ${INDEX_TABLES.string} WHERE rid = ?`).all(rid) as { id: number; param: string; value: string }[]) {
    out.set(`${row.param}=${row.value}`, row.id);
  }
  return out;
}

const str = (param: string, value: string, group?: number): IndexValue => ({ kind: 'string', param, value, exact: value, ...(group !== undefined ? { group } : {}) });
const tok = (param: string, system: string | null, code: string | null): IndexValue => ({ kind: 'token', param, system, code });
const dt = (param: string, low: number, high: number): IndexValue => ({ kind: 'date', param, low, high });
const qty = (param: string, value: number, group?: number): IndexValue =>
  ({ kind: 'quantity', param, system: 'http://unitsofmeasure.org', code: 'mg', unit: 'mg', low: value - 0.5, high: value + 0.5, value, ...(group !== undefined ? { group } : {}) });

/** What a fresh insert of `values` stores, under a spare rid. */
let spare = 1_000_000;
function fresh(values: IndexValue[]): string[] {
  const rid = spare++;
  writer.insertAll(rid, values);
  return rowsOf(rid);
}

describe('SQLite index writer: replace', () => {
  it('gives the rows a fresh insert would, through a series of edits of every shape', () => {
    const base = [str('family', 'Chalmers'), str('given', 'Peter'), str('given', 'James'), tok('gender', 'http://hl7.org/fhir/administrative-gender', 'male'),
      dt('birthdate', 1, 2), tok('identifier', 'urn:mrn', '12345'), qty('value-quantity', 5, 1), str('code.0', 'x', 1), tok('_id', null, 'p1')];
    const versions: IndexValue[][] = [
      base,
      [...base.slice(0, 2), str('given', 'Jim'), ...base.slice(3)], // one value changed in place
      [str('given', 'Jim'), ...base.filter((v) => !(v.kind === 'string' && v.param === 'given'))], // moved to the front, one gone
      [...base, str('given', 'Peter')], // a repeated value (a multiset: two equal rows)
      [...base, str('given', 'Peter'), str('given', 'Peter')],
      [...base].reverse(), // everything in another order
      base.filter((_, i) => i % 2 === 0), // every other row removed
      [], // nothing left
      [tok('gender', null, 'unknown'), tok('gender', 'http://hl7.org/fhir/administrative-gender', null), dt('birthdate', -5, 7)], // nulls in cells
      base,
    ];
    // Random edits too: values drawn from a small pool, so equal rows and shifts are common.
    const pool = [...base, str('given', 'Peter'), str('family', 'Windsor'), tok('identifier', 'urn:mrn', '999'), qty('value-quantity', 6, 2), str('code.0', 'y', 2)];
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let n = 0; n < 200; n++) versions.push(Array.from({ length: next() % 12 }, () => pool[next() % pool.length]!));
    const rid = 1;
    writer.insertAll(rid, versions[0]!);
    for (const [i, values] of versions.entries()) {
      writer.replace(rid, values);
      assert.deepEqual(rowsOf(rid), fresh(values), `version ${i}`);
    }
  });

  it('keeps the rows an update does not change: same rowids, only the changed row rewritten', () => {
    const rid = 2;
    const before = [str('family', 'Chalmers'), str('given', 'Peter'), str('given', 'James'), str('name', 'Peter James Chalmers')];
    writer.insertAll(rid, before);
    const ids = rowIds(rid);
    writer.replace(rid, [before[0]!, str('given', 'Jim'), before[2]!, before[3]!]);
    const after = rowIds(rid);
    assert.equal(after.get('family=Chalmers'), ids.get('family=Chalmers'));
    assert.equal(after.get('given=James'), ids.get('given=James'));
    assert.equal(after.get('name=Peter James Chalmers'), ids.get('name=Peter James Chalmers'));
    assert.equal(after.has('given=Peter'), false);
    assert.ok(after.get('given=Jim')! > Math.max(...ids.values()));
  });
});
