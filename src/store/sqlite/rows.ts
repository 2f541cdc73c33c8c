import type { StoredVersion } from '../port.js';

/** The column list every version-returning query selects, aliased to the names `toVersion` reads. */
export const VERSION_COLUMNS = 'type, id, version_id, last_updated, deleted, method, json';

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
