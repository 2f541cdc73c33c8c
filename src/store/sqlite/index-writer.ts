import type Database from 'better-sqlite3';
import type { IndexValue } from '../../vocabulary/index-values.js';
import { INDEX_KINDS, INDEX_TABLES, type IndexKind } from './schema.js';

/** The value columns of each index table, in insert order (after rid, param, grp). */
const COLUMNS: { [K in IndexKind]: string[] } = {
  string: ['value', 'exact'],
  token: ['system', 'code'],
  date: ['low', 'high'],
  number: ['low', 'high', 'value'],
  quantity: ['system', 'code', 'unit', 'low', 'high', 'value'],
  reference: ['target_type', 'target_id', 'url'],
  uri: ['value'],
};

type Cell = string | number | null;

/** Rows per multi-row INSERT; keeps bound parameters well under SQLite's limit (9 columns × 32 = 288). */
const MAX_ROWS_PER_INSERT = 32;

/** The column values of an index row, in COLUMNS order. */
function cells(v: IndexValue): Cell[] {
  switch (v.kind) {
    case 'string': return [v.value, v.exact];
    case 'token': return [v.system, v.code];
    case 'date': return [v.low, v.high];
    case 'number': return [v.low, v.high, v.value];
    case 'quantity': return [v.system, v.code, v.unit, v.low, v.high, v.value];
    case 'reference': return [v.targetType, v.targetId, v.url];
    case 'uri': return [v.value];
    default: {
      const never: never = v;
      throw new Error(`unknown index kind ${(never as { kind: string }).kind}`);
    }
  }
}

/**
 * The rows this store keeps: all but `_id`, which the SQL compiler answers from `resources.id` (compile.ts);
 * one token row fewer per resource is one B-tree insert fewer on every write.
 */
const stored = (values: readonly IndexValue[]): IndexValue[] => values.filter((v) => v.param !== '_id');

const keyOf = (param: string, grp: Cell, values: Cell[]): string =>
  [param, grp ?? '', ...values.map((c) => (c === null ? '\u0001' : String(c)))].join('\u0000');

/** One stored cell and one wanted: equal as SQLite keeps them (a number in a TEXT column comes back as text). */
const sameCell = (stored: Cell, wanted: Cell): boolean =>
  stored === wanted || (stored !== null && wanted !== null && typeof stored !== typeof wanted && String(stored) === String(wanted));

/** Whether a stored row (`[rowid, param, grp, ...cells]`) holds exactly the wanted value. */
function holds(row: Cell[], param: string, group: Cell, wantedCells: Cell[]): boolean {
  if (row[1] !== param || !sameCell(row[2]!, group)) return false;
  for (let i = 0; i < wantedCells.length; i++) if (!sameCell(row[3 + i]!, wantedCells[i]!)) return false;
  return true;
}

/**
 * The stored rows to delete and the wanted values to insert so that the rows of one kind equal `wanted`, as
 * multisets. The rows come back in the order they were written, which is mostly the extractor's order, so the
 * two lists are walked side by side first (skipping one row on either side where that realigns them); only what
 * that leaves is matched by content. An update that changes a field or two then builds no key at all for the
 * dozens of rows it keeps.
 */
function differences(rows: Cell[][], wanted: readonly IndexValue[]): { staleRows: number[]; newValues: IndexValue[] } {
  const wantedCells = wanted.map(cells);
  const is = (e: number, w: number): boolean => holds(rows[e]!, wanted[w]!.param, wanted[w]!.group ?? null, wantedCells[w]!);
  const leftRows: number[] = [];
  const leftWanted: number[] = [];
  let e = 0;
  let w = 0;
  while (e < rows.length && w < wanted.length) {
    if (is(e, w)) {
      e++;
      w++;
    } else if (w + 1 < wanted.length && is(e, w + 1)) {
      leftWanted.push(w++);
    } else if (e + 1 < rows.length && is(e + 1, w)) {
      leftRows.push(e++);
    } else {
      leftRows.push(e++);
      leftWanted.push(w++);
    }
  }
  while (e < rows.length) leftRows.push(e++);
  while (w < wanted.length) leftWanted.push(w++);
  // What the walk left: stored rows by content; each wanted value consumes one match, the rest are deleted.
  const existing = new Map<string, number[]>();
  for (const i of leftRows) {
    const [rowId, param, grp, ...rest] = rows[i]!;
    const key = keyOf(param as string, grp!, rest);
    const list = existing.get(key);
    if (list) list.push(rowId as number);
    else existing.set(key, [rowId as number]);
  }
  const newValues: IndexValue[] = [];
  for (const i of leftWanted) {
    const v = wanted[i]!;
    const match = existing.get(keyOf(v.param, v.group ?? null, wantedCells[i]!));
    if (match && match.length > 0) match.pop();
    else newValues.push(v);
  }
  const staleRows: number[] = [];
  for (const rowIds of existing.values()) staleRows.push(...rowIds);
  return { staleRows, newValues };
}

/** Writes the index rows of a resource (by its integer key `rid`). */
export interface IndexWriter {
  /** Inserts every row (a resource that had none). */
  insertAll(rid: number, values: readonly IndexValue[]): void;
  /**
   * Makes the stored rows equal `values`, touching only the rows that differ. An update usually changes a
   * few fields, so diffing avoids rewriting (and dirtying the pages of) every secondary index entry.
   */
  replace(rid: number, values: readonly IndexValue[]): void;
  /** Removes every row (a deletion). */
  clear(rid: number): void;
  /** Removes up to `limit` rows of each kind; returns how many it removed (0 once none are left). */
  clearSome(rid: number, limit: number): number;
}

/** Prepares the statements of every index table once for `db`. */
export function prepareIndexWriter(db: Database.Database): IndexWriter {
  const insert = new Map<IndexKind, Database.Statement>();
  const select = new Map<IndexKind, Database.Statement>();
  const removeRow = new Map<IndexKind, Database.Statement>();
  const clearAll = new Map<IndexKind, Database.Statement>();
  const clearLimited = new Map<IndexKind, Database.Statement>();
  for (const kind of INDEX_KINDS) {
    const table = INDEX_TABLES[kind];
    const cols = COLUMNS[kind];
    insert.set(kind, db.prepare(`INSERT INTO ${table} (rid, param, grp, ${cols.join(', ')}) VALUES (?, ?, ?, ${cols.map(() => '?').join(', ')})`));
    select.set(kind, db.prepare(`SELECT rowid AS row_id, param, grp, ${cols.join(', ')} FROM ${table} INDEXED BY ${table}_rid WHERE rid = ?`).raw(true));
    removeRow.set(kind, db.prepare(`DELETE FROM ${table} WHERE rowid = ?`));
    clearAll.set(kind, db.prepare(`DELETE FROM ${table} WHERE rid = ?`));
    clearLimited.set(kind, db.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} INDEXED BY ${table}_rid WHERE rid = ? LIMIT ?)`));
  }
  const insertOne = (rid: number, v: IndexValue): void => {
    insert.get(v.kind)!.run(rid, v.param, v.group ?? null, ...cells(v));
  };
  // Multi-row INSERTs (prepared lazily per table and row count) cut the per-statement cost, which dominates
  // when a transaction Bundle writes hundreds of thousands of rows. OR FAIL, not the default ABORT: an ABORT
  // statement that writes several rows inside a transaction has SQLite copy each page it touches to a statement
  // journal first, so that it could undo its own rows alone. Nobody needs that: a failed write is undone whole, by
  // its savepoint or by the rollback of its transaction (sqlite-store.ts).
  const multi = new Map<string, Database.Statement>();
  const insertMany = (rid: number, kind: IndexKind, rows: readonly IndexValue[]): void => {
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + MAX_ROWS_PER_INSERT);
      if (chunk.length === 1) {
        insertOne(rid, chunk[0]);
        continue;
      }
      const key = `${kind}:${chunk.length}`;
      let stmt = multi.get(key);
      if (!stmt) {
        const cols = COLUMNS[kind];
        const tuple = `(?, ?, ?, ${cols.map(() => '?').join(', ')})`;
        stmt = db.prepare(`INSERT OR FAIL INTO ${INDEX_TABLES[kind]} (rid, param, grp, ${cols.join(', ')}) VALUES ${Array(chunk.length).fill(tuple).join(', ')}`);
        multi.set(key, stmt);
      }
      const params: Cell[] = [];
      for (const v of chunk) params.push(rid, v.param, v.group ?? null, ...cells(v));
      stmt.run(...params);
    }
  };
  return {
    insertAll(rid, values) {
      const byKind = new Map<IndexKind, IndexValue[]>();
      for (const v of stored(values)) {
        let list = byKind.get(v.kind);
        if (!list) byKind.set(v.kind, (list = []));
        list.push(v);
      }
      for (const [kind, rows] of byKind) insertMany(rid, kind, rows);
    },
    replace(rid, values) {
      const wanted = new Map<IndexKind, IndexValue[]>();
      for (const v of stored(values)) {
        let list = wanted.get(v.kind);
        if (!list) wanted.set(v.kind, (list = []));
        list.push(v);
      }
      for (const kind of INDEX_KINDS) {
        const { staleRows, newValues } = differences(select.get(kind)!.all(rid) as Cell[][], wanted.get(kind) ?? []);
        insertMany(rid, kind, newValues);
        for (const rowId of staleRows) removeRow.get(kind)!.run(rowId);
      }
    },
    clear(rid) {
      for (const kind of INDEX_KINDS) clearAll.get(kind)!.run(rid);
    },
    clearSome(rid, limit) {
      let n = 0;
      for (const kind of INDEX_KINDS) n += clearLimited.get(kind)!.run(rid, limit).changes;
      return n;
    },
  };
}
