/**
 * The MongoDB document shapes of the store: a current-version document per resource (one collection per resource
 * type), an insert-only history document per version (one shared collection), and the conversion of the search
 * index values (vocabulary/index-values.ts) into arrays of small subdocuments the compiler (compile.ts) queries.
 *
 * Why arrays of `{p: code, ...}` rather than one field per parameter: parameter codes come from SearchParameters,
 * which can be created at run time, so a code must never become a field name (`$where`, `a.b` ...). Every field
 * name in these documents is a fixed constant of this file.
 */
import type { IndexEntries, IndexValue } from '../../vocabulary/index-values.js';
import type { StoredVersion } from '../../vocabulary/versions.js';

/** A string row: normalized `v` (prefix/contains), original `e` (exact). */
export interface StringRow { p: string; v: string; e: string }
/** A token row: system `s` (null when absent) and code `c`. */
export interface TokenRow { p: string; s: string | null; c: string | null }
/** A date row: the [lo, hi] range in epoch ms. */
export interface DateRow { p: string; lo: number; hi: number }
/** A number row: the precision range and the exact value `x` (the sort value). */
export interface NumberRow { p: string; lo: number; hi: number; x: number }
/** A quantity row: a number row with system, code and unit. */
export interface QuantityRow extends NumberRow { s: string | null; c: string | null; u: string | null }
/** A reference row: target type `tt`, target id `ti`, absolute url `u`; `k` = `tt/ti` or the url (the sort value). */
export interface ReferenceRow { p: string; tt: string | null; ti: string | null; u: string | null; k: string | null }
/** A uri row. */
export interface UriRow { p: string; v: string }

/** The index arrays of one resource (or of one composite group). */
export interface IndexArrays {
  s: StringRow[];
  t: TokenRow[];
  d: DateRow[];
  n: NumberRow[];
  q: QuantityRow[];
  r: ReferenceRow[];
  u: UriRow[];
}

/** The name of the index array that holds rows of each index kind. */
export const ARRAY_OF = {
  string: 's', token: 't', date: 'd', number: 'n', quantity: 'q', reference: 'r', uri: 'u',
} as const satisfies Record<IndexValue['kind'], keyof IndexArrays>;

/** Every index array name. */
export const ARRAYS = Object.values(ARRAY_OF);

/** A current-version document (collection named after the resource type; `_id` is the logical id). */
export interface CurrentDoc extends IndexArrays {
  _id: string;
  /** Version number (for conditional updates) and its text form. */
  v: number;
  vid: string;
  lu: string;
  del: boolean;
  m: StoredVersion['method'];
  json: string;
  /** Creation sequence, kept across updates: the stable tie-break of every search order (SQLite's rid). */
  seq: number;
  /** Composite groups: the rows sharing one `group` number, so a composite matches within one group. */
  cx: IndexArrays[];
}

/** A history document (collection `vesta_history`): `_id` is `type/id/version`, so a version can be claimed once. */
export interface HistoryDoc {
  _id: string;
  type: string;
  id: string;
  v: number;
  vid: string;
  lu: string;
  del: boolean;
  m: StoredVersion['method'];
  json: string;
  /** Write sequence: orders versions written in the same millisecond. */
  hs: number;
  /**
   * Present while the write is in flight: the current document it installs. A reader hides a pending version
   * unless the current document has reached it; a writer that finds it (claim lost) finishes it (roll forward).
   */
  next?: CurrentDoc;
  /** While pending: when the claim was made (wall clock, ms), so a roll forward can tell a live writer from a dead one. */
  cl?: number;
}

/**
 * The filter for one document by `_id`, in the plain form `{_id: id}` rather than `{_id: {$eq: id}}`: both mean the
 * same on MongoDB, but FerretDB 1.x (SQLite) serves only the plain form from its primary key and answers the other by
 * reading the whole collection, which made each write cost a scan. The id is checked to be a string, which a query
 * can only ever compare, never read as an operator.
 */
export function byId(id: string): { _id: string } {
  if (typeof id !== 'string') throw new Error('a document id must be a string');
  return { _id: id };
}

/** The history `_id` of one version. */
export function historyKey(type: string, id: string, v: number): string {
  return `${type}/${id}/${v}`;
}

function emptyArrays(): IndexArrays {
  return { s: [], t: [], d: [], n: [], q: [], r: [], u: [] };
}

function pushRow(a: IndexArrays, x: IndexValue): void {
  switch (x.kind) {
    case 'string': a.s.push({ p: x.param, v: x.value, e: x.exact }); break;
    case 'token': a.t.push({ p: x.param, s: x.system, c: x.code }); break;
    case 'date': a.d.push({ p: x.param, lo: x.low, hi: x.high }); break;
    case 'number': a.n.push({ p: x.param, lo: x.low, hi: x.high, x: x.value }); break;
    case 'quantity':
      a.q.push({ p: x.param, lo: x.low, hi: x.high, x: x.value, s: x.system, c: x.code, u: x.unit });
      break;
    case 'reference': {
      const k = x.targetType !== null && x.targetId !== null ? `${x.targetType}/${x.targetId}` : x.url;
      a.r.push({ p: x.param, tt: x.targetType, ti: x.targetId, u: x.url, k });
      break;
    }
    case 'uri': a.u.push({ p: x.param, v: x.value }); break;
    default: {
      const never: never = x;
      throw new Error(`unknown index value ${(never as { kind: string }).kind}`);
    }
  }
}

/** The index arrays of a resource: every row in the flat arrays, grouped rows also in their composite group. */
export function indexArrays(index: IndexEntries): { arrays: IndexArrays; cx: IndexArrays[] } {
  const arrays = emptyArrays();
  const groups = new Map<number, IndexArrays>();
  for (const x of index) {
    pushRow(arrays, x);
    if (x.group !== undefined) {
      let g = groups.get(x.group);
      if (g === undefined) groups.set(x.group, (g = emptyArrays()));
      pushRow(g, x);
    }
  }
  return { arrays, cx: [...groups.values()] };
}

/** The current document of a version; a tombstone has no index rows. */
export function currentDoc(v: StoredVersion, index: IndexEntries, seq: number): CurrentDoc {
  const { arrays, cx } = v.deleted ? { arrays: emptyArrays(), cx: [] } : indexArrays(index);
  return {
    _id: v.id, v: Number(v.versionId), vid: v.versionId, lu: v.lastUpdated, del: v.deleted, m: v.method, json: v.json, seq,
    ...arrays, cx,
  };
}

/** The history document of a version. */
export function historyDoc(v: StoredVersion, hs: number): HistoryDoc {
  return {
    _id: historyKey(v.resourceType, v.id, Number(v.versionId)), type: v.resourceType, id: v.id, v: Number(v.versionId),
    vid: v.versionId, lu: v.lastUpdated, del: v.deleted, m: v.method, json: v.json, hs,
  };
}

/** The fields of a current document a version needs (projection for reads and searches). */
export const VERSION_PROJECTION = { _id: 1, vid: 1, lu: 1, del: 1, m: 1, json: 1 } as const;

/** A stored version from a current document. */
export function fromCurrent(type: string, d: Pick<CurrentDoc, '_id' | 'vid' | 'lu' | 'del' | 'm' | 'json'>): StoredVersion {
  return { resourceType: type, id: d._id, versionId: d.vid, lastUpdated: d.lu, deleted: d.del, method: d.m, json: d.json };
}

/** A stored version from a history document. */
export function fromHistory(d: Pick<HistoryDoc, 'type' | 'id' | 'vid' | 'lu' | 'del' | 'm' | 'json'>): StoredVersion {
  return { resourceType: d.type, id: d.id, versionId: d.vid, lastUpdated: d.lu, deleted: d.del, method: d.m, json: d.json };
}

/**
 * Resource types become collection names, so only names shaped like FHIR resource types are accepted (the
 * services only pass known types; this is the store's own guard). Vesta's own collections start with `vesta_`.
 */
export function collectionName(type: string): string {
  if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(type)) throw new Error(`not a resource type name: ${JSON.stringify(type).slice(0, 80)}`);
  return type;
}
