/**
 * The indexes Vesta creates, by name (every name starts with `vesta_`), created idempotently: `createIndexes`
 * with the same name and keys is a no-op, an index of another name is never touched, and none is ever dropped.
 * Current collections get theirs the first time this process writes or searches the type.
 */
import type { Collection, Document, IndexDescription } from 'mongodb';

/** Indexes of a resource type's current collection: the search arrays by (param, value) and the default order. */
export const CURRENT_INDEXES: readonly IndexDescription[] = [
  { name: 'vesta_live_seq', key: { del: 1, seq: 1 } },
  { name: 'vesta_token', key: { 't.p': 1, 't.c': 1, 't.s': 1 } },
  { name: 'vesta_string', key: { 's.p': 1, 's.v': 1 } },
  { name: 'vesta_date', key: { 'd.p': 1, 'd.lo': 1, 'd.hi': 1 } },
  { name: 'vesta_number', key: { 'n.p': 1, 'n.lo': 1 } },
  { name: 'vesta_quantity', key: { 'q.p': 1, 'q.c': 1, 'q.lo': 1 } },
  // Reference lookups by target, which also serve the patient-scoped searches of US Core (subject/patient = X).
  { name: 'vesta_reference', key: { 'r.p': 1, 'r.ti': 1, 'r.tt': 1 } },
  { name: 'vesta_uri', key: { 'u.p': 1, 'u.v': 1 } },
  { name: 'vesta_last_updated', key: { lu: 1 } },
];

/** Indexes of the shared history collection: instance, type and system history, newest first. */
export const HISTORY_INDEXES: readonly IndexDescription[] = [
  { name: 'vesta_history_instance', key: { type: 1, id: 1, lu: -1, hs: -1 } },
  { name: 'vesta_history_type', key: { type: 1, lu: -1, hs: -1 } },
  { name: 'vesta_history_system', key: { lu: -1, hs: -1 } },
];

/** MongoDB's answers when an index with the same keys exists under another name, or the same name with other keys. */
const CONFLICT_CODES = new Set([85, 86]);

/**
 * Creates the indexes on `coll` (a no-op for those that exist) and reports each name it asked for. An index an
 * operator made with the same keys under another name is left as it is (MongoDB refuses a second one): that index
 * is reported as kept, never dropped or renamed.
 *
 * One `createIndexes` per index, not one for all: FerretDB 1.24 drops the connection (a server-side panic) when one
 * command asks for two or more indexes that all exist already, which is every start on an existing database.
 */
export async function ensureIndexes(
  coll: Collection<Document>, indexes: readonly IndexDescription[], log: (msg: string, meta: Record<string, unknown>) => void,
): Promise<void> {
  const ensured: string[] = [];
  for (const index of indexes) {
    try {
      await coll.createIndexes([index]);
      ensured.push(String(index.name));
    } catch (err) {
      if (!CONFLICT_CODES.has((err as { code?: number }).code ?? 0)) throw err;
      log('mongodb index kept as found (an index with these keys exists under another name)', { collection: coll.collectionName, index: index.name });
    }
  }
  if (ensured.length > 0) log('mongodb index ensured', { collection: coll.collectionName, indexes: ensured });
}
