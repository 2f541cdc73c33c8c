import { badRequest } from '../fhir/outcome.js';
import { bundleOf, historyEntry, queryString } from '../fhir/bundle.js';
import type { BundleLink } from '../fhir/bundle.js';
import type { Clock, IdGenerator } from '../fhir/ids.js';
import type { HistoryScope, ResourceStore } from '../store/port.js';
import { parseInstant } from '../fhir/instant.js';
import type { TouchedResource } from '../vocabulary/access.js';
import type { TouchedResources } from './touched.js';

/** Options of a history request after parsing (FHIR R4 http.html#history). */
export interface HistoryParams {
  since?: string;
  at?: string;
  count: number;
  cursor?: string;
  /** Applied parameters for links, canonical order. */
  applied: [string, string][];
}

/** Parses `_since`, `_at`, `_count`, `_cursor`; throws 400 naming the bad parameter. */
export function parseHistoryParams(query: [string, string][], defaultCount: number, maxCount: number): HistoryParams {
  const out: HistoryParams = { count: defaultCount, applied: [] };
  for (const [name, value] of query) {
    switch (name) {
      case '_since':
        out.since = parseInstant(value, '_since');
        break;
      case '_at':
        out.at = parseInstant(value, '_at', true);
        break;
      case '_count': {
        if (!/^\d{1,6}$/.test(value)) throw badRequest('_count must be a non-negative whole number', ['_count']);
        out.count = Math.min(Number(value), maxCount);
        break;
      }
      case '_cursor':
        out.cursor = value;
        break;
      default:
        break; // _format, _pretty and unknown parameters do not change history
    }
  }
  if (out.since) out.applied.push(['_since', out.since]);
  if (out.at) out.applied.push(['_at', out.at]);
  out.applied.push(['_count', String(out.count)]);
  return out;
}

/** A history Bundle and the versions it carries (for the audit record). */
export interface HistoryOutcome {
  body: Record<string, unknown>;
  touched: TouchedResource[];
}

/** Builds history Bundles from the store (instance, type and system level), newest first. */
export class HistoryService {
  constructor(
    private readonly store: ResourceStore, private readonly touched: TouchedResources,
    private readonly clock: Clock, private readonly ids: IdGenerator,
  ) {}

  /** The same service reading through another store view (a transaction's, so it sees the transaction's writes). */
  withStore(store: ResourceStore): HistoryService {
    return new HistoryService(store, this.touched, this.clock, this.ids);
  }

  /** One page of history as a Bundle of type `history` with self/next/previous/first links. */
  async history(baseUrl: string, scope: Omit<HistoryScope, 'since' | 'at'>, params: HistoryParams): Promise<HistoryOutcome> {
    const full: HistoryScope = { ...scope, since: params.since, at: params.at };
    const page = await this.store.history(full, { count: params.count, cursor: params.cursor });
    const path = [baseUrl, scope.resourceType, scope.id, '_history'].filter((p) => p !== undefined).join('/');
    const link = (extra: [string, string][]): string => {
      const qs = queryString([...params.applied, ...extra]);
      return qs ? `${path}?${qs}` : path;
    };
    const links: BundleLink[] = [{ relation: 'self', url: link(params.cursor ? [['_cursor', params.cursor]] : []) }];
    links.push({ relation: 'first', url: link([]) });
    if (page.previous) links.push({ relation: 'previous', url: link([['_cursor', page.previous]]) });
    if (page.next) links.push({ relation: 'next', url: link([['_cursor', page.next]]) });
    const body = bundleOf('history', page.items.map((v) => historyEntry(baseUrl, v)), links, {
      id: this.ids(), timestamp: this.clock().toISOString(), total: page.total,
    });
    return { body, touched: this.touched.all(page.items.filter((v) => !v.deleted)) };
  }
}
