/**
 * The statements the SQLite store prepares for searches and history pages stay prepared: their SQL text depends
 * only on a query's shape (so the statement cache hits), and no bound value is one SQLite's planner reads while
 * planning. SQLite re-prepares a statement on every execution when it has planned with a bound value (a bare
 * `LIMIT ?` since 3.47), which cost about a fifth of a read worker's time at 1.25M resources.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createIndexer, createSearchRegistry, parseSearch } from '../../src/search/index.js';
import type { StoreQuery } from '../../src/vocabulary/plan.js';
import { SqliteSession } from '../../src/store/sqlite/sqlite-session.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredVersion } from '../../src/store/port.js';
import { ORACLE_BASE } from './oracle-pools.js';
import { ALL_SEARCH_FEATURES } from '../support/search-capabilities.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-statements-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const registry = createSearchRegistry();
const indexer = createIndexer(registry, { baseUrl: ORACLE_BASE });
const opts = { baseUrl: ORACLE_BASE, strict: true, defaultCount: 2, maxCount: 100, now: Date.parse('2025-06-01T12:00:00Z'), capabilities: ALL_SEARCH_FEATURES };

/** Every SQL text prepared on `db` from now on, in order (prepared statements are otherwise untouched). */
function recordPrepares(db: Database.Database): string[] {
  const seen: string[] = [];
  const prepare = db.prepare.bind(db);
  (db as { prepare: (sql: string) => Database.Statement }).prepare = (sql: string) => {
    seen.push(sql);
    return prepare(sql);
  };
  return seen;
}

const observation = (id: string, patient: string, day: number) => ({
  resourceType: 'Observation', id, status: 'final', subject: { reference: `Patient/${patient}` },
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  effectiveDateTime: `2024-01-${String(day).padStart(2, '0')}`,
});

describe('SQLite statements stay prepared', () => {
  let file = '';
  before(async () => {
    const dataDir = path.join(root, 'db');
    const store = SqliteStore.open({ dataDir });
    for (let i = 1; i <= 5; i++) {
      const r = observation(`o${i}`, i % 2 === 0 ? 'a' : 'b', i);
      const lastUpdated = `2024-05-0${i}T10:00:00.000Z`;
      const json = JSON.stringify({ ...r, meta: { versionId: '1', lastUpdated } });
      const v: StoredVersion = { resourceType: r.resourceType, id: r.id, versionId: '1', lastUpdated, deleted: false, method: 'POST', json };
      await store.write({ version: v, index: indexer.extract(JSON.parse(json) as typeof r) }, null);
    }
    await store.close();
    file = path.join(dataDir, 'vesta.sqlite');
  });

  const queries: [string, [string, string][]][] = [
    ['default order', [['patient', 'b']]],
    ['sorted with filters', [['patient', 'b'], ['category', 'vital-signs'], ['date', 'ge2024-01-01'], ['_sort', '-date']]],
    ['code with system', [['code', 'http://loinc.org|8867-4']]],
    ['count only', [['_summary', 'count']]],
  ];

  for (const [name, query] of queries) {
    it(`prepares each statement of a ${name} search once, and never plans with a LIMIT value`, () => {
      const db = new Database(file, { readonly: true });
      try {
        const prepared = recordPrepares(db);
        const session = new SqliteSession(db);
        const plan: StoreQuery = parseSearch(registry, ['Observation'], query, opts);
        const pages: string[][] = [];
        for (const patient of ['b', 'a', 'b']) {
          const q = { ...plan, where: plan.where === undefined ? undefined : JSON.parse(JSON.stringify(plan.where).replaceAll('"b"', `"${patient}"`)) };
          let page = session.search(q);
          pages.push(page.items.map((v) => v.id));
          while (page.next !== undefined) {
            page = session.search({ ...q, cursor: page.next });
            pages.push(page.items.map((v) => v.id));
          }
        }
        const searches = prepared.filter((sql) => sql.startsWith('SELECT') && !sql.includes('sqlite_schema'));
        assert.equal(new Set(searches).size, searches.length, `a statement was prepared twice:\n${searches.join('\n')}`);
        for (const sql of searches) assert.doesNotMatch(sql, /LIMIT\s+[?@]/, 'a bare LIMIT parameter makes SQLite re-prepare on every run');
        if (plan.count > 0) assert.ok(pages.every((ids) => ids.length <= plan.count), 'pages keep their size limit');
      } finally {
        db.close();
      }
    });
  }

  it('prepares a history page statement once, and never plans with a LIMIT value', () => {
    const db = new Database(file, { readonly: true });
    try {
      const prepared = recordPrepares(db);
      const session = new SqliteSession(db);
      const ids: string[] = [];
      let page = session.history({ resourceType: 'Observation' }, { count: 2 });
      ids.push(...page.items.map((v) => v.id));
      while (page.next !== undefined) {
        page = session.history({ resourceType: 'Observation' }, { count: 2, cursor: page.next });
        ids.push(...page.items.map((v) => v.id));
      }
      assert.deepEqual(ids, ['o5', 'o4', 'o3', 'o2', 'o1']);
      const pages = prepared.filter((sql) => sql.includes('FROM versions v'));
      assert.ok(pages.length >= 1);
      for (const sql of pages) assert.doesNotMatch(sql, /LIMIT\s+[?@]/);
    } finally {
      db.close();
    }
  });
});
