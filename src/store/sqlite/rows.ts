import type { StoredVersion } from '../port.js';

/** The column list every version-returning query selects, aliased to the names `toVersion` reads. */
export const VERSION_COLUMNS = 'type, id, version_id, last_updated, deleted, method, json';

/**
 * The same columns for the current version, selected from `resources` (alias `a`). The JSON text is stored
 * once, in `versions` (keeping it out of `resources` halves the bytes every write commits), and fetched through
 * `resources.vseq`, the current version's rowid, only for rows actually returned.
 */
export const currentColumns = (a: string): string =>
  `${a}.type, ${a}.id, ${a}.version_id, ${a}.last_updated, ${a}.deleted, ${a}.method, ` +
  `(SELECT v.json FROM versions v WHERE v.vseq = ${a}.vseq) AS json`;

/** A row selected with VERSION_COLUMNS (from `resources` or `versions`). */
export interface VersionRow {
  type: string;
  id: string;
  version_id: string;
  last_updated: string;
  deleted: number;
  method: string;
  json: string;
}

/** Maps a stored row to the port's StoredVersion, passing the JSON text through untouched. */
export function toVersion(row: VersionRow): StoredVersion {
  return {
    resourceType: row.type,
    id: row.id,
    versionId: row.version_id,
    lastUpdated: row.last_updated,
    deleted: row.deleted !== 0,
    method: row.method as StoredVersion['method'],
    json: row.json,
  };
}
