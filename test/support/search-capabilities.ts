import type { SearchCapabilities } from '../../src/vocabulary/plan.js';

/** Every search feature, as a store that carries the whole plan declares it (the parser's tests use it). */
export const ALL_SEARCH_FEATURES: SearchCapabilities = {
  maxChainDepth: 4, reverseChains: true, composite: true, accurateTotals: true,
  sortTypes: ['string', 'token', 'date', 'number', 'quantity', 'uri', 'reference'],
};
