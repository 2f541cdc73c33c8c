import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import type { FhirResult } from '../vocabulary/fhir-request.js';
import { parseStored, stringifyExact } from '../fhir/exact-json.js';
import { FHIR_JSON } from './media.js';
import { baseHeaders, requestState } from './request-context.js';

/**
 * Writes a FhirResult. Pre-serialized JSON is sent as-is (the read hot path); `_pretty=true` re-indents.
 * Uses the raw Node response to avoid Express's per-send work (ETag hashing, freshness checks) that
 * Vesta does itself from versions. Every header goes out in the one `writeHead` call, as a flat list: the
 * request's own (X-Request-Id, security headers), then the result's, then the body's.
 */
export function sendResult(res: ServerResponse, result: FhirResult, pretty: boolean): void {
  const headers = baseHeaders(requestState(res));
  if (result.headers) for (const name of Object.keys(result.headers)) headers.push(name, result.headers[name]!);
  // FHIR responses carry PHI (reads, searches, history, Bundles, operations, even OperationOutcomes naming ids):
  // no shared or browser cache may keep them (HIPAA; FHIR R4 security.html). A result may set its own policy.
  if (result.headers?.['Cache-Control'] === undefined) headers.push('Cache-Control', 'no-store');
  let payload: string | undefined;
  if (result.status !== 304 && result.status !== 204) {
    if (result.bodyText !== undefined) payload = pretty ? stringifyExact(parseStored(result.bodyText), 2) : result.bodyText;
    else if (result.body !== undefined) payload = stringifyExact(result.body, pretty ? 2 : undefined);
  }
  // Once the server has stopped listening (graceful shutdown), answer with Connection: close. node:http
  // closes only connections that are idle when close() is called, so a keep-alive connection whose request
  // was in flight would otherwise hold the process open until the grace period or keep-alive timeout ends.
  if ((res.socket as { server?: { listening?: boolean } } | null)?.server?.listening === false) headers.push('Connection', 'close');
  if (payload === undefined) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  headers.push('Content-Type', result.contentType ?? FHIR_JSON);
  if (payload.length >= COMPRESS_FROM && acceptsGzip(res.req)) {
    const text = payload;
    // Off the event loop (zlib's thread pool): a CapabilityStatement of ~800 KB would otherwise hold it for ms.
    gzip(text, { level: 5 }, (err, zipped) => {
      if (res.destroyed) return;
      if (err) {
        res.writeHead(result.status, [...headers, 'Vary', 'Accept-Encoding', 'Content-Length', String(Buffer.byteLength(text))]);
        res.end(text);
        return;
      }
      res.writeHead(result.status, [...headers, 'Content-Encoding', 'gzip', 'Vary', 'Accept-Encoding', 'Content-Length', String(zipped.length)]);
      res.end(zipped);
    });
    return;
  }
  if (payload.length >= COMPRESS_FROM) headers.push('Vary', 'Accept-Encoding');
  headers.push('Content-Length', String(Buffer.byteLength(payload)));
  res.writeHead(result.status, headers);
  res.end(payload);
}

/** Bodies from this many characters on are compressed for clients that accept gzip; smaller ones gain too little. */
export const COMPRESS_FROM = 8192;

/** True when the request's Accept-Encoding lists gzip (or `*`) without `q=0` (RFC 9110 section 12.5.3). */
export function acceptsGzip(req: IncomingMessage | undefined): boolean {
  const header = req?.headers['accept-encoding'];
  if (header === undefined) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
