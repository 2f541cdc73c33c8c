import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'winston';
import { FhirError, badRequest, internalError, payloadTooLarge } from '../fhir/outcome.js';
import { requestState } from './request-context.js';
import { sendResult } from './respond.js';

/**
 * The one place errors become responses (DESIGN principle 6): a FhirError gives its status and
 * OperationOutcome; anything else is a 500 with a generic text and the request id, while the message and
 * stack go to the log only.
 */
export function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const state = requestState(res);
    const requestId = state?.requestId ?? 'unknown';
    if (isClientAbort(err, req)) {
      // The client went away mid-request: nothing to answer and nothing wrong with the server.
      log.info('request aborted by the client', { requestId, method: req.method, route: state?.route ?? 'unmatched' });
      res.destroy();
      return;
    }
    let fhirError: FhirError;
    if (err instanceof FhirError) {
      fhirError = err;
      // An operator must act: one clear line, no stack (the cause is the disk, not the code).
      if (err.status === 507) log.error('storage full: a write failed for lack of disk space; free space on the data volume', { requestId });
    }
    else if (isHttpError(err) && err.status === 413) fhirError = payloadTooLarge('The body is larger than the configured limit');
    else if (isHttpError(err) && err.status === 400) fhirError = badRequest('The request is malformed');
    else {
      fhirError = internalError(requestId);
      log.error('unhandled error', { requestId, error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // `_pretty` applies to every response, errors included (FHIR R4 http.html#parameters).
    const pretty = /[?&]_pretty=true(?:&|$)/.test(req.url);
    sendResult(res, { status: fhirError.status, headers: fhirError.headers, body: fhirError.outcome }, pretty);
  };
}

/** True when `err` comes from the client closing its connection before the request was complete. */
export function isClientAbort(err: unknown, req: Request): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE') return true;
  return err instanceof Error && err.message === 'aborted' && !req.complete;
}

function isHttpError(e: unknown): e is { status: number } {
  return typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number';
}
