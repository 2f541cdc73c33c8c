import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { refs, version, w } from './contract-support.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-migration-'));
let n = 0;
after(() => fs.rmSync(root, { recursive: true, force: true }));

const columns = (db: Database.Database, index: string): string[] =>
  (db.pragma(`index_info(${index})`) as { name: string }[]).map((c) => c.name);

async function storeWithData(): Promise<string> {
  const dataDir = path.join(root, String(n++));
  const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL' });
  for (let i = 0; i < 30; i++) {
    await store.write(w(version('Observation', `o${i}`, 1, i), [
      { kind: 'token', param: 'code', system: 'http://loinc.org', code: i % 3 === 0 ? '8867-4' : '718-7' },
      { kind: 'reference', param: 'subject', targetType: 'Patient', targetId: `p${i % 5}`, url: null },
    ]), null);
  }
  await store.close();
  return dataDir;
}

test('a version 2 database gets covering indexes and current-version pointers, its data untouched', async () => {
  const dataDir = await storeWithData();
  const file = path.join(dataDir, 'vesta.sqlite');
  // Turn it back into what version 2 wrote: (rid, param) and (param, value) indexes, no rid in the lookups.
  const old = new Database(file);
  old.exec(`DROP INDEX idx_token_rid; CREATE INDEX idx_token_rid ON idx_token (rid, param);
    DROP INDEX idx_token_code; CREATE INDEX idx_token_code ON idx_token (param, code, system);
    DROP INDEX idx_reference_target; CREATE INDEX idx_reference_target ON idx_reference (param, target_id, target_type);
    ALTER TABLE resources DROP COLUMN vseq;
    UPDATE schema_version SET version = 2;`);
  old.close();

  const store = SqliteStore.open({ dataDir, synchronous: 'NORMAL' });
  try {
    const page = await store.search({
      types: ['Observation'], sort: [], count: 100, total: 'accurate',
      where: { kind: 'and', clauses: [
        { kind: 'reference', param: { code: 'subject', type: 'reference' }, targetType: 'Patient', id: 'p0' },
        { kind: 'token', param: { code: 'code', type: 'token' }, system: 'http://loinc.org', code: '8867-4' },
      ] },
    });
    assert.deepEqual(refs(page.items), ['Observation/o0', 'Observation/o15']);
    assert.equal(JSON.parse(page.items[1]!.json).id, 'o15', 'the JSON is found through the new pointer');
    assert.equal((await store.read('Observation', 'o7'))?.versionId, '1');
  } finally {
    await store.close();
  }
  const db = new Database(file, { readonly: true });
  try {
    assert.equal((db.prepare('SELECT version FROM schema_version').get() as { version: number }).version, SCHEMA_VERSION);
    assert.deepEqual(columns(db, 'idx_token_rid'), ['rid', 'param', 'code', 'system', 'grp']);
    assert.deepEqual(columns(db, 'idx_token_code'), ['param', 'code', 'system', 'rid']);
    assert.deepEqual(columns(db, 'idx_reference_target'), ['param', 'target_id', 'target_type', 'rid']);
    assert.equal((db.prepare('SELECT count(*) AS n FROM idx_token').get() as { n: number }).n, 30);
    assert.equal((db.prepare('SELECT count(*) AS n FROM resources WHERE vseq IS NULL').get() as { n: number }).n, 0);
  } finally {
    db.close();
  }
});

test('a database from a newer schema is refused and left as it was', async () => {
  const dataDir = await storeWithData();
  const file = path.join(dataDir, 'vesta.sqlite');
  const db = new Database(file);
  db.exec(`UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => SqliteStore.open({ dataDir }), /unsupported Vesta SQLite schema version/);
  const after = new Database(file, { readonly: true });
  assert.equal((after.prepare('SELECT version FROM schema_version').get() as { version: number }).version, SCHEMA_VERSION + 1);
  after.close();
});
