import type Database from 'better-sqlite3';

/** The schema version this code writes and expects; bump it with a migration step in `migrate`. */
export const SCHEMA_VERSION = 2;

/** The index table for each IndexValue kind (store/index-values.ts); one table per kind keeps rows narrow. */
export const INDEX_TABLES = {
  string: 'idx_string',
  token: 'idx_token',
  date: 'idx_date',
  number: 'idx_number',
  quantity: 'idx_quantity',
  reference: 'idx_reference',
  uri: 'idx_uri',
} as const;

/** One IndexValue kind. */
export type IndexKind = keyof typeof INDEX_TABLES;

/** Every index kind, in a fixed order. */
export const INDEX_KINDS = Object.keys(INDEX_TABLES) as IndexKind[];

/*
 * `resources.rid` is the integer surrogate key every index row points to, and also the creation sequence:
 * AUTOINCREMENT guarantees it only grows (never reuses a freed value), so the default search order
 * (rid ascending) lets keyset paging see every original match exactly once while new resources arrive.
 * A resource row is never removed: a delete turns it into a tombstone (deleted = 1), which keeps
 * the version sequence and the compare-and-set check meaningful.
 *
 * Index design, for 1.25 million resources:
 * - every index table has (rid, param) to replace a resource's rows and to probe sort keys per resource;
 * - lookups start from `param` so a condition on one search parameter is a range scan in one index.
 * - reference rows are indexed by target id first, because `subject=123` (no type) is as common as
 *   `subject=Patient/123`, and by (target_type, target_id) alone for compartment and `_has` queries.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS resources (
  rid          INTEGER PRIMARY KEY AUTOINCREMENT,
  type         TEXT NOT NULL,
  id           TEXT NOT NULL,
  version_id   TEXT NOT NULL,
  last_updated TEXT NOT NULL,
  deleted      INTEGER NOT NULL,
  method       TEXT NOT NULL,
  json         TEXT NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX IF NOT EXISTS resources_type_live ON resources (type, deleted);
CREATE INDEX IF NOT EXISTS resources_id ON resources (id);
CREATE INDEX IF NOT EXISTS resources_type_updated ON resources (type, last_updated);

CREATE TABLE IF NOT EXISTS versions (
  vseq         INTEGER PRIMARY KEY AUTOINCREMENT,
  rid          INTEGER NOT NULL,
  type         TEXT NOT NULL,
  id           TEXT NOT NULL,
  version_id   TEXT NOT NULL,
  last_updated TEXT NOT NULL,
  deleted      INTEGER NOT NULL,
  method       TEXT NOT NULL,
  json         TEXT NOT NULL,
  UNIQUE (rid, version_id)
);
CREATE INDEX IF NOT EXISTS versions_rid_updated ON versions (rid, last_updated, vseq);
CREATE INDEX IF NOT EXISTS versions_type_updated ON versions (type, last_updated, vseq);
CREATE INDEX IF NOT EXISTS versions_updated ON versions (last_updated, vseq);

CREATE TABLE IF NOT EXISTS idx_string (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, value TEXT NOT NULL, exact TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_string_rid ON idx_string (rid, param);
CREATE INDEX IF NOT EXISTS idx_string_value ON idx_string (param, value);

CREATE TABLE IF NOT EXISTS idx_token (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, system TEXT, code TEXT
);
CREATE INDEX IF NOT EXISTS idx_token_rid ON idx_token (rid, param);
CREATE INDEX IF NOT EXISTS idx_token_code ON idx_token (param, code, system);

CREATE TABLE IF NOT EXISTS idx_date (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, low INTEGER NOT NULL, high INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_date_rid ON idx_date (rid, param);
CREATE INDEX IF NOT EXISTS idx_date_low ON idx_date (param, low, high);
CREATE INDEX IF NOT EXISTS idx_date_high ON idx_date (param, high, low);

CREATE TABLE IF NOT EXISTS idx_number (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, low REAL NOT NULL, high REAL NOT NULL, value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_number_rid ON idx_number (rid, param);
CREATE INDEX IF NOT EXISTS idx_number_low ON idx_number (param, low, high);

CREATE TABLE IF NOT EXISTS idx_quantity (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, system TEXT, code TEXT, unit TEXT,
  low REAL NOT NULL, high REAL NOT NULL, value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_quantity_rid ON idx_quantity (rid, param);
CREATE INDEX IF NOT EXISTS idx_quantity_low ON idx_quantity (param, low, high);
CREATE INDEX IF NOT EXISTS idx_quantity_code ON idx_quantity (param, code, low);

CREATE TABLE IF NOT EXISTS idx_reference (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, target_type TEXT, target_id TEXT, url TEXT
);
CREATE INDEX IF NOT EXISTS idx_reference_rid ON idx_reference (rid, param);
CREATE INDEX IF NOT EXISTS idx_reference_target ON idx_reference (param, target_id, target_type);
CREATE INDEX IF NOT EXISTS idx_reference_by_target ON idx_reference (target_type, target_id);
CREATE INDEX IF NOT EXISTS idx_reference_url_set ON idx_reference (param, url) WHERE url IS NOT NULL;

CREATE TABLE IF NOT EXISTS idx_uri (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_uri_rid ON idx_uri (rid, param);
CREATE INDEX IF NOT EXISTS idx_uri_value ON idx_uri (param, value);
`;

/**
 * Creates the tables on an empty database and checks the schema version of an existing one; throws
 * (without touching the data) when the file was written by a newer, unknown schema.
 */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(DDL);
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    if (row === undefined) {
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    } else if (row.version === 1) {
      // v2 writes fewer index entries per row: `:exact` uses the folded-value index, and only references
      // with an absolute URL (rare) are indexed by URL.
      db.exec('DROP INDEX IF EXISTS idx_string_exact; DROP INDEX IF EXISTS idx_reference_url;');
      db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
    } else if (row.version !== SCHEMA_VERSION) {
      throw new Error(`unsupported Vesta SQLite schema version ${row.version} (this build knows ${SCHEMA_VERSION})`);
    }
  }).immediate();
}
