import type { StoredVersion } from '../vocabulary/versions.js';

/** The statuses a successful DELETE answers (FHIR R4 http.html#delete): 200 with an OperationOutcome, or 204 without a body. */
export type DeleteStatus = 200 | 204;

/**
 * The JSON text a tombstone keeps: the status its DELETE answered, so the history entry can say what the client got
 * (Bundle.entry.response.status). A tombstone has no resource, so this small record is all its `json` holds.
 */
export function tombstoneJson(status: DeleteStatus): string {
  return `{"status":"${status}"}`;
}

/**
 * The status the DELETE that wrote tombstone `v` answered. Tombstones written before the status was kept have an
 * empty text: those answered 200, the default.
 */
export function deletionStatus(v: StoredVersion): string {
  if (v.json === '') return '200';
  try {
    const status = (JSON.parse(v.json) as { status?: unknown }).status;
    return status === '204' ? '204' : '200';
  } catch {
    return '200';
  }
}
