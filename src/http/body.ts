import type { IncomingMessage } from 'node:http';
import { parseExact } from '../fhir/exact-json.js';
import { assembleSlices, chunkFor } from '../fhir/json-slices.js';
import type { JsonPlanner } from '../fhir/json-slices.js';
import { checkJsonText } from '../fhir/json-text.js';
import { FhirError, payloadTooLarge } from '../fhir/outcome.js';

/** Reads the raw body up to `limit` bytes; 413 as soon as it is known to be larger. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (!Number.isNaN(declared) && declared > limit) {
    req.resume(); // drain so the connection can answer
    throw payloadTooLarge(`The body is larger than the limit of ${limit} bytes (VESTA_MAX_BODY)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw payloadTooLarge(`The body is larger than the limit of ${limit} bytes (VESTA_MAX_BODY)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses JSON text; 400 with a generic message on failure (the parser's message may echo content), 400 naming
 * the key when an object repeats a key, 400 too-costly when nested deeper than `maxDepth` (json-text.ts).
 */
export function parseJson(raw: string, maxDepth = 100): unknown {
  const checked = checkJsonText(raw, maxDepth);
  // Numbers written otherwise than JavaScript writes them (`6.0`) keep their text (FHIR R4 datatypes.html#decimal).
  return checked.exactNumbers ? parseExact(checked.text) : checked.value;
}

/** How large JSON bodies are handled: from `bytes` on, checked by `planner` off the event loop and parsed in slices. */
export interface LargeBodies {
  bytes: number;
  /** The threshold for batch and transaction Bundles (`VESTA_LARGE_BUNDLE`): their entries are paced anyway. */
  bundleBytes: number;
  planner: JsonPlanner;
}

/** Whether a body of `length` characters for interaction `interaction` takes the large-body path. */
export function isLarge(large: LargeBodies | undefined, interaction: string, length: number): large is LargeBodies {
  return large !== undefined && length >= (interaction === 'transaction' ? large.bundleBytes : large.bytes);
}

/**
 * {@link parseJson} for a large body, without holding the event loop for long: another thread checks the text
 * (the same 400s) and plans its pieces, this one parses them with yields in between (fhir/json-slices.ts). The
 * value is the same. When no worker can help, it is parsed here as any body is.
 */
export async function parseLargeJson(raw: string, maxDepth: number, large: LargeBodies): Promise<unknown> {
  let plan;
  try {
    plan = await large.planner.planJson(raw, maxDepth, chunkFor(large.bytes));
  } catch (e) {
    if (e instanceof FhirError) throw e;
    return parseJson(raw, maxDepth);
  }
  return assembleSlices(raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw, plan);
}
