import type { IncomingMessage } from 'node:http';
import { parseExact } from '../fhir/exact-json.js';
import { scanJson } from '../fhir/json-text.js';
import { badRequest, payloadTooLarge } from '../fhir/outcome.js';

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
  // A UTF-8 byte order mark is allowed before JSON text (RFC 8259 section 8.1 lets parsers ignore it).
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.trim() === '') throw badRequest('The request body is empty; a JSON resource was expected', undefined, 'structure');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message)?.[1];
    throw badRequest(`The request body is not valid JSON${pos ? ` (near byte ${pos})` : ''}`, undefined, 'structure');
  }
  // Numbers written otherwise than JavaScript writes them (`6.0`) keep their text (FHIR R4 datatypes.html#decimal).
  return scanJson(text, maxDepth).exactNumbers ? parseExact(text) : value;
}
