import type Database from 'better-sqlite3';

/** The schema version this code writes and expects; bump it with a migration step in `migrate`. */
export const SCHEMA_VERSION = 4;

/** The index table for each IndexValue kind (vocabulary/index-values.ts); one table per kind keeps rows narrow. */
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
 * the version sequence and the compare-and-set check meaningful. The index tables' indexes are below (INDEXES).
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
  vseq         INTEGER,
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
CREATE TABLE IF NOT EXISTS idx_token (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, system TEXT, code TEXT
);
CREATE TABLE IF NOT EXISTS idx_date (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, low INTEGER NOT NULL, high INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idx_number (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, low REAL NOT NULL, high REAL NOT NULL, value REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idx_quantity (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, system TEXT, code TEXT, unit TEXT,
  low REAL NOT NULL, high REAL NOT NULL, value REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idx_reference (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, target_type TEXT, target_id TEXT, url TEXT
);
CREATE TABLE IF NOT EXISTS idx_uri (
  rid INTEGER NOT NULL, param TEXT NOT NULL, grp INTEGER, value TEXT NOT NULL
);
-- The audit trail (store/audit-trail.ts): append-only, hash-chained; entities are what AuditEvent searches read.
CREATE TABLE IF NOT EXISTS audit_log (
  seq          INTEGER PRIMARY KEY,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL,
  record       TEXT NOT NULL,
  recorded     INTEGER NOT NULL,
  type         TEXT NOT NULL,
  subtype      TEXT NOT NULL,
  action       TEXT NOT NULL,
  outcome      TEXT NOT NULL,
  who          TEXT,
  agent_names  TEXT NOT NULL,
  client       TEXT,
  address      TEXT,
  site         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_recorded ON audit_log (recorded, seq);
CREATE INDEX IF NOT EXISTS audit_log_who ON audit_log (who, seq) WHERE who IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_entity (
  seq          INTEGER NOT NULL,
  role         TEXT NOT NULL,
  ref          TEXT NOT NULL,
  type         TEXT NOT NULL,
  entity_type  TEXT NOT NULL,
  PRIMARY KEY (seq, role, ref)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_entity_ref ON audit_entity (ref, role, seq);
CREATE TABLE IF NOT EXISTS audit_checkpoint (
  seq          INTEGER PRIMARY KEY,
  hash         TEXT NOT NULL,
  created      INTEGER NOT NULL,
  jws          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_anchor (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  seq          INTEGER NOT NULL,
  hash         TEXT NOT NULL
);
-- Authorization state (keys, revoked token ids...; store/auth-state.ts), apart from the resource tables.
CREATE TABLE IF NOT EXISTS auth_state (
  kind       TEXT NOT NULL,
  id         TEXT NOT NULL,
  value      TEXT NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auth_state_expiry ON auth_state (expires_at) WHERE expires_at IS NOT NULL;
`;

/*
 * The indexes of the index tables. Token, date, number, reference and uri indexes are covering: a search reads
 * only the index, never the table (which writes alone touch), so a probe or a lookup is one B-tree descent
 * instead of an index descent plus a row fetch. String indexes cover everything but `exact` (only `:exact`
 * fetches the row) and quantity indexes cover nothing beyond the keys: those are the widest rows, and each
 * covered byte is written on every create and update (ingest speed is a target too).
 * - `_rid` (rid, param, values..., grp): replaces a resource's rows, probes one candidate's values
 *   (EXISTS checks, sort keys, composites joined on grp);
 * - the lookup indexes start from `param` and end with `rid`, so a condition on one parameter is a range
 *   scan that yields the candidates directly. References are also indexed by target first, because
 *   `subject=123` (no type) is as common as `subject=Patient/123`, and by (target_type, target_id) for
 *   compartments and `_has`.
 */
const INDEXES: [name: string, definition: string][] = [
  ['idx_string_rid', 'idx_string (rid, param, value, grp)'],
  ['idx_string_value', 'idx_string (param, value, rid)'],
  ['idx_token_rid', 'idx_token (rid, param, code, system, grp)'],
  ['idx_token_code', 'idx_token (param, code, system, rid)'],
  ['idx_date_rid', 'idx_date (rid, param, low, high, grp)'],
  ['idx_date_low', 'idx_date (param, low, high, rid)'],
  ['idx_date_high', 'idx_date (param, high, low, rid)'],
  ['idx_number_rid', 'idx_number (rid, param, low, high, value, grp)'],
  ['idx_number_low', 'idx_number (param, low, high, rid)'],
  ['idx_quantity_rid', 'idx_quantity (rid, param)'],
  ['idx_quantity_low', 'idx_quantity (param, low, high)'],
  ['idx_quantity_code', 'idx_quantity (param, code, low)'],
  ['idx_reference_rid', 'idx_reference (rid, param, target_type, target_id, url, grp)'],
  ['idx_reference_target', 'idx_reference (param, target_id, target_type, rid)'],
  ['idx_reference_by_target', 'idx_reference (target_type, target_id, param, rid)'],
  ['idx_reference_url_set', 'idx_reference (param, url, rid) WHERE url IS NOT NULL'],
  ['idx_uri_rid', 'idx_uri (rid, param, value, grp)'],
  ['idx_uri_value', 'idx_uri (param, value, rid)'],
];

/** (Re)creates every index-table index with its current definition. */
function createIndexes(db: Database.Database, replace: boolean): void {
  for (const [name, definition] of INDEXES) {
    if (replace) db.exec(`DROP INDEX IF EXISTS ${name}`);
    db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${definition}`);
  }
}

/**
 * Creates the tables on an empty database and checks the schema version of an existing one; throws
 * (without touching the data) when the file was written by a newer, unknown schema.
 */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(DDL);
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    if (row === undefined) {
      createIndexes(db, false);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    } else if (row.version >= 1 && row.version < SCHEMA_VERSION) {
      if (row.version <= 2) {
        // v2 wrote fewer index entries per row (`:exact` uses the folded-value index; only references with an
        // absolute URL are indexed by URL); v3 made every index covering. Rebuilding the indexes is all it takes.
        db.exec('DROP INDEX IF EXISTS idx_string_exact; DROP INDEX IF EXISTS idx_reference_url;');
        createIndexes(db, true);
      }
      // v4: resources.vseq points at the current version's row, so its JSON is one rowid lookup away.
      const cols = db.pragma('table_info(resources)') as { name: string }[];
      if (!cols.some((c) => c.name === 'vseq')) {
        db.exec('ALTER TABLE resources ADD COLUMN vseq INTEGER');
        db.exec('UPDATE resources SET vseq = (SELECT v.vseq FROM versions v WHERE v.rid = resources.rid AND v.version_id = resources.version_id)');
      }
      db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION);
    } else if (row.version !== SCHEMA_VERSION) {
      throw new Error(`unsupported Vesta SQLite schema version ${row.version} (this build knows ${SCHEMA_VERSION})`);
    }
  }).immediate();
}
