import type { InteractionSpec } from './deps.js';
import { read, vread } from './read.js';
import { conditionalDelete, conditionalPatch, conditionalUpdate, create, patch, remove, update } from './write.js';
import { historyInstance, historySystem, historyType } from './history.js';
import { searchCompartment, searchSystem, searchType } from './search.js';
import { operation } from './operations.js';
import { metadata, smartConfiguration } from './metadata.js';
import { bundle } from './bundle.js';

export type { InteractionSpec } from './deps.js';

/**
 * Every interaction Vesta serves, with the SMART permission letter each needs (SMART App Launch 2.x:
 * read/vread/instance history r, search and type/system history s, create c, update/patch u, delete d).
 * Conditional rows also need `s`; operations declare their letters in operations.ts; batch and transaction
 * need none themselves, because every entry is checked under its own row.
 */
export const INTERACTIONS: readonly InteractionSpec[] = [
  { name: 'capabilities', method: 'GET', shape: 'metadata', scope: null, audit: null, public: true, handle: metadata },
  { name: 'smart-configuration', method: 'GET', shape: 'smart-configuration', scope: null, audit: null, public: true, handle: smartConfiguration },
  { name: 'read', method: 'GET', shape: 'instance', scope: 'r', audit: 'R', handle: read },
  { name: 'vread', method: 'GET', shape: 'version', scope: 'r', audit: 'R', handle: vread },
  { name: 'update', method: 'PUT', shape: 'instance', scope: 'u', audit: 'U', handle: update },
  { name: 'update', method: 'PUT', shape: 'type', conditional: true, scope: 'u', audit: 'U', handle: conditionalUpdate },
  { name: 'patch', method: 'PATCH', shape: 'instance', scope: 'u', audit: 'U', handle: patch },
  { name: 'patch', method: 'PATCH', shape: 'type', conditional: true, scope: 'u', audit: 'U', handle: conditionalPatch },
  { name: 'delete', method: 'DELETE', shape: 'instance', scope: 'd', audit: 'D', handle: remove },
  { name: 'delete', method: 'DELETE', shape: 'type', conditional: true, scope: 'd', audit: 'D', handle: conditionalDelete },
  { name: 'history-instance', method: 'GET', shape: 'instance-history', scope: 'r', audit: 'R', handle: historyInstance },
  { name: 'history-type', method: 'GET', shape: 'type-history', scope: 's', audit: 'E', handle: historyType },
  { name: 'history-system', method: 'GET', shape: 'system-history', scope: 's', audit: 'E', handle: historySystem },
  { name: 'create', method: 'POST', shape: 'type', scope: 'c', audit: 'C', handle: create },
  { name: 'search-type', method: 'GET', shape: 'type', scope: 's', audit: 'E', handle: searchType },
  { name: 'search-type', method: 'POST', shape: 'type-search', scope: 's', audit: 'E', handle: searchType },
  { name: 'search-type', method: 'GET', shape: 'compartment', scope: 's', audit: 'E', handle: searchCompartment },
  { name: 'search-system', method: 'GET', shape: 'system', scope: 's', audit: 'E', handle: searchSystem },
  { name: 'search-system', method: 'POST', shape: 'system-search', scope: 's', audit: 'E', handle: searchSystem },
  // One route serves both Bundle types (the handler reads Bundle.type); both rows exist so the CapabilityStatement
  // lists both, and routing takes the first.
  { name: 'transaction', method: 'POST', shape: 'system', scope: null, audit: 'E', handle: bundle },
  { name: 'batch', method: 'POST', shape: 'system', scope: null, audit: 'E', handle: bundle },
  { name: 'operation', method: 'POST', shape: 'type-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'GET', shape: 'type-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'POST', shape: 'system-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'GET', shape: 'system-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'POST', shape: 'instance-operation', scope: null, audit: 'E', handle: operation },
  { name: 'operation', method: 'GET', shape: 'instance-operation', scope: null, audit: 'E', handle: operation },
];
