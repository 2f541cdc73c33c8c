import { badRequest, notFound, preconditionFailed } from '../fhir/outcome.js';
import type { Restriction } from '../vocabulary/access.js';
import type { ResourceStore, StoredVersion } from '../store/port.js';
import type { SearchService } from './search-service.js';

/** Search criteria of a conditional interaction, as ordered query pairs. */
export type Criteria = [string, string][];

/** What a conditional interaction is called in its OperationOutcomes. */
export type ConditionalKind = 'If-None-Exist' | 'conditional update' | 'conditional patch' | 'conditional delete';

/** Parameters that shape a response, never a match. */
const NOT_CRITERIA = new Set(['_format', '_pretty', '_summary', '_elements']);

/** The criteria of `If-None-Exist` (FHIR R4 http.html#ccreate): a query string, optionally after `Type?` or `?`. */
export function ifNoneExistCriteria(raw: string): Criteria {
  const qs = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : raw;
  const pairs = [...new URLSearchParams(qs)];
  if (pairs.length === 0) throw badRequest('If-None-Exist must hold search criteria such as identifier=http://x|123');
  return pairs;
}

/** The criteria of a conditional update, patch or delete: its URL query without the response-shaping parameters. */
export function urlCriteria(query: Criteria): Criteria {
  const c = query.filter(([k]) => !NOT_CRITERIA.has(k));
  if (c.length === 0) throw badRequest('A conditional interaction needs search criteria in the URL');
  return c;
}

const CONDITIONAL_REFERENCE = /^([A-Z][A-Za-z]{1,63})\?(.+)$/;

/** A conditional reference (http.html#trules): the type to search and its criteria, or undefined. */
export function conditionalReference(ref: string): { type: string; query: Criteria } | undefined {
  const m = CONDITIONAL_REFERENCE.exec(ref);
  if (!m) return undefined;
  return { type: m[1], query: [...new URLSearchParams(m[2])] };
}

/**
 * The one path every conditional interaction takes (FHIR R4 http.html#ccreate, #cond-update, #cdelete, #patch,
 * and conditional references in #trules): one reading of the criteria, one rule for how many matches there may
 * be, the caller's restriction ANDed into the match (so a conditional interaction never matches, counts or
 * reveals what the caller may not see), and the check-then-write serialized on the criteria through
 * `ResourceStore.serialized`, so concurrent conditional creates with the same criteria create one resource.
 */
export class ConditionalMatcher {
  constructor(private readonly search: SearchService, private readonly store: ResourceStore) {}

  /** The same matcher on another store view (a transaction's). */
  withStore(store: ResourceStore): ConditionalMatcher {
    return new ConditionalMatcher(this.search.withStore(store), store);
  }

  /** The one match rule: none (undefined), exactly one, or 412 when the criteria select several. */
  async match(type: string, criteria: Criteria, restrict: Restriction | undefined, kind: ConditionalKind): Promise<StoredVersion | undefined> {
    const found = await this.search.findMatches(type, criteria, 2, restrict);
    if (found.length > 1) throw preconditionFailed(`The ${kind} criteria match more than one resource`);
    return found[0];
  }

  /**
   * Matches, then runs `act` with the match (or undefined) on the store view the match was made on, so that no
   * conditional interaction with the same criteria can slip between the check and the write.
   */
  async within<T>(
    type: string, criteria: Criteria, restrict: Restriction | undefined, kind: ConditionalKind,
    act: (match: StoredVersion | undefined, tx: ResourceStore) => Promise<T>,
  ): Promise<T> {
    const key = this.search.criteriaKey(type, criteria);
    return this.store.serialized(key, async (tx) => act(await this.withStore(tx).match(type, criteria, restrict, kind), tx));
  }

  /**
   * The local reference (`Patient/123`) a conditional reference stands for: exactly one match, else 404 (none)
   * or 412 (several). Undefined when `ref` is not a conditional reference.
   */
  async resolveReference(ref: string, restrict: Restriction | undefined): Promise<string | undefined> {
    const cond = conditionalReference(ref);
    if (!cond) return undefined;
    const found = await this.search.findMatches(cond.type, cond.query, 2, restrict);
    if (found.length === 0) throw notFound(`The conditional reference to ${cond.type} matches no resource`);
    if (found.length > 1) throw preconditionFailed(`The conditional reference to ${cond.type} matches more than one resource`);
    return `${cond.type}/${found[0].id}`;
  }
}
