import { notAcceptable, unsupportedMediaType } from '../fhir/outcome.js';

/** The only response media type Vesta produces (FHIR R4 http.html#mime-type). */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir', 'text/json']);
const JSON_ACCEPT = /(^|,)\s*(\*\/\*|application\/\*|application\/(fhir\+)?json|application\/json\+fhir|text\/json)\s*(;|,|$)/i;

/** Checks `_format` and `Accept`; anything that cannot be answered in JSON is 406 (http.html#mime-type). */
export function negotiate(format: string | undefined, accept: string | undefined): void {
  if (format !== undefined) {
    const f = format.split(';')[0].trim().toLowerCase();
    if (!JSON_FORMATS.has(f)) throw notAcceptable(`_format ${f.slice(0, 64)} is not supported; this server speaks JSON only`);
    return;
  }
  if (accept === undefined || accept.trim() === '') return;
  if (!JSON_ACCEPT.test(accept)) throw notAcceptable('The Accept header asks for a format this server does not produce; use application/fhir+json');
}

/** The kinds of request body Vesta reads. */
export type BodyKind = 'resource' | 'json-patch' | 'form';

/** Checks the Content-Type against what the interaction expects; 415 otherwise. */
export function checkContentType(contentType: string | undefined, expected: BodyKind[]): BodyKind {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (ct === '') throw unsupportedMediaType('Content-Type is required; use application/fhir+json');
  if (expected.includes('resource') && (ct === 'application/fhir+json' || ct === 'application/json' || ct === 'application/json+fhir')) return 'resource';
  if (expected.includes('json-patch') && ct === 'application/json-patch+json') return 'json-patch';
  if (expected.includes('form') && ct === 'application/x-www-form-urlencoded') return 'form';
  const wants = expected.map((e) => (e === 'resource' ? 'application/fhir+json' : e === 'json-patch' ? 'application/json-patch+json' : 'application/x-www-form-urlencoded'));
  throw unsupportedMediaType(`Content-Type ${ct.slice(0, 64)} is not supported here; use ${wants.join(' or ')}`);
}
