/**
 * A body worker thread (worker-pool.ts): checks large JSON bodies and plans how the main thread parses them in
 * slices, and extracts the search index rows of large resources, so that none of this holds the main thread's
 * event loop. The search index code is loaded on the first index request only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkJsonText } from '../fhir/json-text.js';
import { planSlices } from '../fhir/json-slices.js';
import { FhirError } from '../fhir/outcome.js';
import type { Indexer } from '../search/extract.js';
import type { SearchParamDef } from '../search/parameters.js';
import type { IndexValue } from '../vocabulary/index-values.js';
import type { BodyReply, BodyRequest, BodyWorkerData } from './protocol.js';

const data = workerData as BodyWorkerData;
/** Index rows per piece of an answer: each piece is parsed on the main thread in a millisecond or two. */
const ROWS_PER_PIECE = 2048;

/** The search parameters per type, as the main thread last sent them; a new map per change recompiles the type. */
const defsByType = new Map<string, ReadonlyMap<string, SearchParamDef>>();
let indexer: Promise<Indexer> | undefined;

const loadIndexer = (): Promise<Indexer> => (indexer ??= import('../search/extract.js').then(({ createIndexer }) =>
  createIndexer({ forType: (type) => defsByType.get(type) ?? new Map() }, { baseUrl: data.baseUrl })));

/** True when JSON text would not give back one of the row's numbers exactly (infinities, NaN, negative zero). */
function alteredByJson(row: IndexValue): boolean {
  for (const v of Object.values(row)) if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return true;
  return false;
}

async function answer(req: BodyRequest): Promise<BodyReply> {
  try {
    switch (req.op) {
      case 'json': {
        const checked = checkJsonText(req.text, req.maxDepth);
        return { id: req.id, plan: planSlices(checked.text, checked.exactNumbers, req.chunk) };
      }
      case 'index': {
        if (req.defs) defsByType.set(req.resourceType, new Map(req.defs));
        const rows = (await loadIndexer()).extract(JSON.parse(req.json) as { resourceType: string });
        const pieces: (string | IndexValue[])[] = [];
        for (let i = 0; i < rows.length; i += ROWS_PER_PIECE) {
          const piece = rows.slice(i, i + ROWS_PER_PIECE);
          pieces.push(piece.some(alteredByJson) ? piece : JSON.stringify(piece));
        }
        return { id: req.id, rows: pieces };
      }
    }
  } catch (err) {
    if (err instanceof FhirError) return { id: req.id, fhirError: { status: err.status, outcome: err.outcome, headers: err.headers } };
    return { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
}

parentPort!.on('message', (req: BodyRequest) => {
  void answer(req).then((reply) => parentPort!.postMessage(reply));
});
