import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'winston';

/** Per-request facts kept for the access log; never PHI (no ids, query values or bodies). */
export interface RequestState {
  requestId: string;
  /** The security headers every response carries besides X-Request-Id, flat [name, value, ...], shared by all requests. */
  securityHeaders: readonly string[];
  started: bigint;
  route?: string;
  interaction?: string;
  /** CORS headers for this response (cors.ts), flat [name, value, ...]. */
  cors?: readonly string[];
  /** Who called, once authenticated: the OAuth client and subject (never a token, a name or a patient id). */
  clientId?: string;
  user?: string;
  log?: Logger;
}

const STATE = Symbol('vesta.request');
const INCOMING_ID = /^[A-Za-z0-9._\-]{1,128}$/;

/** The state attached to a response by `requestContext`. */
export function requestState(res: object): RequestState {
  return (res as unknown as Record<symbol, RequestState>)[STATE];
}

/**
 * The headers every response carries, flat [name, value, ...]: X-Request-Id, then the security headers. The FHIR
 * responses write them in their one `writeHead` call (respond.ts); anything else sends them with `applyHeaders`.
 */
export function baseHeaders(state: RequestState | undefined): string[] {
  if (state === undefined) return [];
  const h = ['X-Request-Id', state.requestId, ...state.securityHeaders];
  if (state.cors) h.push(...state.cors);
  return h;
}

/** Sets the headers every response carries (`baseHeaders`) on a response sent by other means than respond.ts. */
export function applyHeaders(res: Response): void {
  const headers = baseHeaders(requestState(res));
  for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i]!, headers[i + 1]!);
}

/**
 * Gives every request an id (a well-formed incoming `X-Request-Id` is kept, else a UUID), echoed in the
 * response with `securityHeaders` (security-headers.ts), and writes one PHI-free access-log line when the
 * response finishes.
 */
export function requestContext(log: Logger, securityHeaders: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    const state: RequestState = { requestId, securityHeaders, started: process.hrtime.bigint() };
    (res as unknown as Record<symbol, RequestState>)[STATE] = state;
    if (log.isLevelEnabled('info')) {
      state.log = log.child({ requestId });
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - state.started) / 1e6;
        state.log!.info('request', {
          method: req.method, route: state.route ?? 'unmatched', interaction: state.interaction, status: res.statusCode,
          durationMs: Math.round(ms * 100) / 100, clientId: state.clientId, user: state.user,
        });
      });
    }
    next();
  };
}
