import type { ServerResponse } from 'node:http';
import type { FhirResult } from '../interactions/types.js';
import { FHIR_JSON } from './media.js';

/**
 * Writes a FhirResult. Pre-serialized JSON is sent as-is (the read hot path); `_pretty=true` re-indents.
 * Uses the raw Node response to avoid Express's per-send work (ETag hashing, freshness checks) that
 * Vesta does itself from versions.
 */
export function sendResult(res: ServerResponse, result: FhirResult, pretty: boolean): void {
  const headers: Record<string, string> = { ...(result.headers ?? {}) };
  let payload: string | undefined;
  if (result.status !== 304 && result.status !== 204) {
    if (result.bodyText !== undefined) payload = pretty ? JSON.stringify(JSON.parse(result.bodyText), null, 2) : result.bodyText;
    else if (result.body !== undefined) payload = JSON.stringify(result.body, null, pretty ? 2 : undefined);
  }
  if (payload !== undefined) {
    headers['Content-Type'] = FHIR_JSON;
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(result.status, headers);
  res.end(payload);
}
