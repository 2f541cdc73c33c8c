import { badRequest } from '../fhir/outcome.js';

/** One value of a keyset position: a sort key value (null when the resource has none) or a sequence number. */
export type KeyValue = string | number | null;

/**
 * A keyset position: page forward (`next`: rows strictly after `keys`) or backward (`previous`: rows
 * strictly before `keys`). `keys` are the sort key values of the boundary row, its tie-break last.
 */
export interface Cursor {
  direction: 'next' | 'previous';
  keys: KeyValue[];
}

/** Encodes a keyset position as an opaque, URL-safe token (base64url of a small JSON array). */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.direction === 'next' ? 'n' : 'p', ...c.keys]), 'utf8').toString('base64url');
}

/**
 * Decodes a token made by `encodeCursor` and checks it has exactly `keyCount` keys; anything else
 * (forged, truncated, from another query shape) is a 400, never an SQL error.
 */
export function decodeCursor(token: string, keyCount: number): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== keyCount + 1) throw invalidCursor();
  const [dir, ...keys] = parsed as unknown[];
  if (dir !== 'n' && dir !== 'p') throw invalidCursor();
  const checked: KeyValue[] = [];
  for (const k of keys) {
    if (k === null || typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k))) checked.push(k);
    else throw invalidCursor();
  }
  return { direction: dir === 'n' ? 'next' : 'previous', keys: checked };
}

function invalidCursor() {
  return badRequest('The paging cursor is invalid or belongs to another query.', undefined, 'invalid');
}
