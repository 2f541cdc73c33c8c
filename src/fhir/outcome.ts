import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/** OperationOutcome.issue.code values Vesta emits (FHIR R4 valueset-issue-type). */
export type IssueCode = OperationOutcomeIssue['code'];
export type IssueSeverity = OperationOutcomeIssue['severity'];

/** One problem found while handling a request, as data (not yet an HTTP answer). */
export interface Issue {
  severity: IssueSeverity;
  code: IssueCode;
  diagnostics: string;
  /** FHIRPath-style locations, e.g. `Patient.birthDate` or `Bundle.entry[3]`. */
  expression?: string[];
}

/** Builds an OperationOutcome from issues (FHIR R4 operationoutcome.html). */
export function outcomeOf(issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => {
      const issue: OperationOutcomeIssue = { severity: i.severity, code: i.code, diagnostics: i.diagnostics };
      if (i.expression && i.expression.length > 0) issue.expression = i.expression;
      return issue;
    }),
  };
}

/**
 * The one error type of Vesta: an HTTP status plus the OperationOutcome the client receives.
 * Thrown at any depth; translated once by the HTTP error middleware.
 */
export class FhirError extends Error {
  readonly outcome: OperationOutcome;
  /** Extra response headers (e.g. `Allow` on 405). */
  readonly headers: Record<string, string>;
  constructor(readonly status: number, issues: Issue[] | OperationOutcome, headers: Record<string, string> = {}) {
    const outcome = Array.isArray(issues) ? outcomeOf(issues) : issues;
    super(outcome.issue[0]?.diagnostics ?? `HTTP ${status}`);
    this.name = 'FhirError';
    this.outcome = outcome;
    this.headers = headers;
  }
}

function single(status: number, code: IssueCode, diagnostics: string, expression?: string[], severity: IssueSeverity = 'error'): FhirError {
  return new FhirError(status, [{ severity, code, diagnostics, ...(expression ? { expression } : {}) }]);
}

/** 400: the request is malformed or a value is invalid. */
export const badRequest = (msg: string, expression?: string[], code: IssueCode = 'invalid') => single(400, code, msg, expression);
/** 400 with several issues (e.g. validation). */
export const invalid = (issues: Issue[]) => new FhirError(400, issues);
/** 404: unknown resource type, resource, or route. */
export const notFound = (msg: string) => single(404, 'not-found', msg);
/** 405: the method is not allowed on this path. */
export const methodNotAllowed = (msg: string, allow: string[]) =>
  new FhirError(405, [{ severity: 'error', code: 'not-supported', diagnostics: msg }], { Allow: allow.join(', ') });
/** 406: the requested format is not available. */
export const notAcceptable = (msg: string) => single(406, 'not-supported', msg);
/** 409: version conflict or a duplicate. */
export const conflict = (msg: string) => single(409, 'conflict', msg);
/** 410: the resource was deleted. */
export const gone = (msg: string) => single(410, 'deleted', msg);
/** 412: a precondition (If-Match, conditional match count) failed. */
export const preconditionFailed = (msg: string) => single(412, 'conflict', msg);
/** 413: the body exceeds the configured limit. */
export const payloadTooLarge = (msg: string) => single(413, 'too-long', msg);
/** 415: unsupported Content-Type. */
export const unsupportedMediaType = (msg: string) => single(415, 'not-supported', msg);
/** 422: the content is syntactically valid but breaks a business rule. */
export const unprocessable = (msg: string, expression?: string[]) => single(422, 'processing', msg, expression);
/**
 * 401: no or bad credentials, with the RFC 6750 section 3 challenge: `error` is absent when no token was sent
 * and `invalid_token` when the one sent is malformed, expired, revoked or not for this server.
 */
export function unauthorized(msg: string, realm: string, error?: 'invalid_token' | 'invalid_request'): FhirError {
  const challenge = error === undefined ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="${error}", error_description="${msg.replace(/["\\]/g, '')}"`;
  return new FhirError(401, [{ severity: 'error', code: error === undefined ? 'login' : 'security', diagnostics: msg }], { 'WWW-Authenticate': challenge });
}
/** 403: authenticated but not allowed. */
export const forbidden = (msg: string) => single(403, 'forbidden', msg);
/** 500 with a generic text; the real cause belongs in the log only. */
export const internalError = (requestId: string) =>
  single(500, 'exception', `An internal error occurred. Quote request id ${requestId} when reporting it.`);
