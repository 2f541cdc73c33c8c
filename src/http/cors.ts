import type { NextFunction, Request, Response } from 'express';
import { requestState } from './request-context.js';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOW_HEADERS = [
  'Authorization', 'Content-Type', 'Accept', 'If-Match', 'If-None-Match', 'If-None-Exist', 'If-Modified-Since', 'Prefer', 'X-Request-Id',
].join(', ');
const EXPOSE_HEADERS = ['Location', 'Content-Location', 'ETag', 'Last-Modified', 'X-Request-Id', 'WWW-Authenticate'].join(', ');

/** The CORS headers every response to an allowed origin carries, flat [name, value, ...]. */
function responseHeaders(origin: string): string[] {
  const h = ['Access-Control-Allow-Origin', origin, 'Access-Control-Expose-Headers', EXPOSE_HEADERS];
  if (origin !== '*') h.push('Vary', 'Origin');
  return h;
}

/**
 * CORS for browser apps (SMART apps run in the browser; Fetch standard, "CORS protocol"): preflights are answered
 * here with 204, and responses to an allowed origin carry `Access-Control-Allow-Origin` and the headers a client
 * needs to read (Location, ETag...). With `*` (the default) no credentials are involved: access tokens are bearer
 * tokens, not cookies. A request from an origin not on the list gets no CORS headers, so the browser withholds it.
 *
 * `uncachedOnly`: the responses are never stored by a cache (`no-store`, as every FHIR response), so a request
 * without an `Origin` header (not a CORS request: a server-side client, or a same-origin page) gets no CORS headers;
 * browsers send `Origin` with every cross-origin request. Cacheable responses (the JWKS, the discovery documents)
 * carry them always with `*`, as the Fetch standard advises, so that a cached copy serves browsers too.
 */
export function cors(origins: '*' | readonly string[], opts: { uncachedOnly?: boolean } = {}) {
  const star = origins === '*' ? responseHeaders('*') : undefined;
  const allowed = new Set(origins === '*' ? [] : origins);
  const always = opts.uncachedOnly !== true;
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const headers = origin === undefined ? (always ? star : undefined)
      : (star ?? (allowed.has(origin) ? responseHeaders(origin) : undefined));
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      const out: string[] = [...(headers ?? []), 'Content-Length', '0'];
      if (headers) out.push('Access-Control-Allow-Methods', ALLOW_METHODS, 'Access-Control-Allow-Headers', ALLOW_HEADERS, 'Access-Control-Max-Age', '600');
      res.writeHead(204, out);
      res.end();
      return;
    }
    if (headers) requestState(res).cors = headers;
    next();
  };
}
