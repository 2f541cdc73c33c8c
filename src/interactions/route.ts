import { badRequest, notFound } from '../fhir/outcome.js';
import type { FhirError } from '../fhir/outcome.js';
import { isValidId } from '../fhir/ids.js';
import type { RouteShape } from '../vocabulary/interaction.js';

/** A FHIR URL path decomposed (FHIR R4 http.html#general). */
export interface RouteMatch {
  shape: RouteShape;
  /** A template safe to log (`/fhir/:type/:id`): no ids, no values. */
  template: string;
  resourceType?: string;
  id?: string;
  versionId?: string;
  operation?: string;
  compartment?: { type: 'Patient'; id: string };
  /**
   * A malformed id or version in an otherwise recognised route: kept rather than thrown so the dispatcher can
   * raise it inside the interaction pipeline, where the failed attempt is audited (DESIGN principle 8).
   */
  invalid?: FhirError;
}

const OP = /^\$[A-Za-z][A-Za-z0-9\-]{0,63}$/;

function decode(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw badRequest('The URL path is not validly percent-encoded');
  }
}

/**
 * Maps a path below the FHIR base to a route shape. Unknown resource types are 404 and malformed ids
 * 400, both with an OperationOutcome, before any handler runs; with `deferInvalidId` the 400 is returned
 * in `invalid` instead of thrown.
 */
export function matchRoute(path: string, types: ReadonlySet<string>, opts: { deferInvalidId?: boolean } = {}): RouteMatch {
  const segs = path.split('/').filter((s) => s.length > 0).map(decode);
  const type = (t: string): string => {
    if (!types.has(t)) throw notFound(`Unknown resource type '${t.slice(0, 64)}'`);
    return t;
  };
  let invalid: FhirError | undefined;
  const id = (v: string): string => {
    if (!isValidId(v)) invalid ??= badRequest(`Invalid id: must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'`);
    return v;
  };
  const route = shapeOf(segs, type, id);
  if (invalid && !opts.deferInvalidId) throw invalid;
  if (invalid) route.invalid = invalid;
  return route;
}

function shapeOf(segs: string[], type: (t: string) => string, id: (v: string) => string): RouteMatch {
  const [a, b, c, d] = segs;
  switch (segs.length) {
    case 0:
      return { shape: 'system', template: '/fhir' };
    case 1:
      if (a === 'metadata') return { shape: 'metadata', template: '/fhir/metadata' };
      if (a === '_history') return { shape: 'system-history', template: '/fhir/_history' };
      if (a === '_search') return { shape: 'system-search', template: '/fhir/_search' };
      if (OP.test(a)) return { shape: 'system-operation', template: `/fhir/${a}`, operation: a.slice(1) };
      return { shape: 'type', template: '/fhir/:type', resourceType: type(a) };
    case 2:
      if (a === '.well-known' && b === 'smart-configuration') return { shape: 'smart-configuration', template: '/fhir/.well-known/smart-configuration' };
      if (b === '_search') return { shape: 'type-search', template: '/fhir/:type/_search', resourceType: type(a) };
      if (b === '_history') return { shape: 'type-history', template: '/fhir/:type/_history', resourceType: type(a) };
      if (OP.test(b)) return { shape: 'type-operation', template: `/fhir/:type/${b}`, resourceType: type(a), operation: b.slice(1) };
      return { shape: 'instance', template: '/fhir/:type/:id', resourceType: type(a), id: id(b) };
    case 3:
      if (c === '_history') return { shape: 'instance-history', template: '/fhir/:type/:id/_history', resourceType: type(a), id: id(b) };
      if (OP.test(c)) {
        return { shape: 'instance-operation', template: `/fhir/:type/:id/${c}`, resourceType: type(a), id: id(b), operation: c.slice(1) };
      }
      if (a === 'Patient') {
        return { shape: 'compartment', template: '/fhir/Patient/:id/:type', resourceType: type(c), compartment: { type: 'Patient', id: id(b) } };
      }
      throw notFound('No FHIR endpoint at this path');
    case 4:
      if (c === '_history') {
        type(a);
        return { shape: 'version', template: '/fhir/:type/:id/_history/:vid', resourceType: a, id: id(b), versionId: d };
      }
      throw notFound('No FHIR endpoint at this path');
    default:
      throw notFound('No FHIR endpoint at this path');
  }
}
