import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { InteractionSpec } from '../interactions/deps.js';
import { OPERATIONS } from '../interactions/operations.js';
import { READ_ONLY_TYPES } from '../interactions/read-only-types.js';
import { AUDIT_SEARCH_PARAMS } from '../store/audit-trail.js';
import type { SearchEngine } from '../services/ports.js';
import type { StoreCapabilities } from '../store/port.js';
import { restSecurity } from './security.js';
import type { SecurityInfo } from './security.js';

const require = createRequire(import.meta.url);

/** Inputs of the CapabilityStatement: everything it says comes from the running server. */
export interface CapabilityInputs {
  baseUrl: string;
  base: Record<string, unknown>;
  table: readonly InteractionSpec[];
  resourceTypes: readonly string[];
  searchEngine: SearchEngine;
  store: StoreCapabilities;
  /** The authorization set-up, for `rest.security`. */
  security: SecurityInfo;
  /** Whether accesses are recorded in the audit trail (off only for benchmarks and development). */
  audited: boolean;
  /** Profile urls loaded from profiles/, by the type they constrain. */
  profilesByType: ReadonlyMap<string, readonly string[]>;
  clock: () => Date;
}

/** Reads the static parts from `conformance/capability-base.json`. */
export function loadCapabilityBase(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${dir}/capability-base.json`, 'utf8')) as Record<string, unknown>;
}

const TYPE_LEVEL: Record<string, string> = {
  read: 'read', vread: 'vread', update: 'update', patch: 'patch', delete: 'delete', 'history-instance': 'history-instance',
  'history-type': 'history-type', create: 'create', 'search-type': 'search-type',
};
const READ_CODES: ReadonlySet<string> = new Set(['read', 'vread', 'history-instance', 'history-type', 'search-type']);
const SYSTEM_LEVEL: Record<string, string> = {
  transaction: 'transaction', batch: 'batch', 'search-system': 'search-system', 'history-system': 'history-system',
};

/**
 * Builds the CapabilityStatement (FHIR R4 capabilitystatement.html) from the interaction table, the search
 * engine, the store's capabilities and the loaded profiles, so it cannot claim what the server does not do.
 */
export function buildCapabilityStatement(inp: CapabilityInputs): Record<string, unknown> {
  const version = (require('../../../package.json') as { version: string }).version;
  // What the store cannot do is not claimed: without multi-resource transactions there is no transaction interaction.
  const table = inp.table.filter((s) => s.name !== 'transaction' || inp.store.transactions);
  const has = (name: string, conditional?: boolean) => table.some((s) => s.name === name && (conditional === undefined || !!s.conditional === conditional));
  const interactions = [...new Set(table.map((s) => TYPE_LEVEL[s.name]).filter((x): x is string => !!x))].map((code) => ({ code }));
  const typeOps = (type: string) => Object.entries(OPERATIONS).filter(([, o]) => (o.type || o.instance) && (!o.types || o.types.includes(type)) && !(o.writes && READ_ONLY_TYPES.has(type)))
    .map(([name, o]) => ({ name, definition: o.definition }));
  const readInteractions = interactions.filter((i) => READ_CODES.has(i.code));
  const systemOps = Object.entries(OPERATIONS).filter(([, o]) => o.system).map(([name, o]) => ({ name, definition: o.definition }));
  const resources = inp.resourceTypes.map((type) => {
    const search = inp.searchEngine.capability(type);
    const readOnly = READ_ONLY_TYPES.has(type);
    // The audit trail answers AuditEvent searches and carries only its own parameters, no includes.
    if (type === 'AuditEvent') {
      search.params = search.params.filter((p) => AUDIT_SEARCH_PARAMS.has(p.name))
        .map((p) => ({ ...p, documentation: 'Answered from the audit trail: no chaining, no :missing; _sort by date or _id.' }));
      search.include = [];
      search.revinclude = [];
    }
    const r: Record<string, unknown> = {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    };
    const supported = inp.profilesByType.get(type);
    if (supported && supported.length > 0) r.supportedProfile = [...supported];
    Object.assign(r, readOnly ? {
      interaction: readInteractions,
      versioning: 'versioned',
      readHistory: true,
      updateCreate: false,
      conditionalCreate: false,
      conditionalRead: 'not-supported',
      conditionalUpdate: false,
      conditionalDelete: 'not-supported',
    } : {
      interaction: interactions,
      versioning: 'versioned',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: has('create'),
      conditionalRead: 'full-support',
      conditionalUpdate: has('update', true),
      conditionalDelete: has('delete', true) ? 'single' : 'not-supported',
      referencePolicy: ['literal', 'local'],
    });
    if (search.include.length > 0) r.searchInclude = search.include;
    if (search.revinclude.length > 0) r.searchRevInclude = search.revinclude;
    if (search.params.length > 0) r.searchParam = search.params;
    const ops = typeOps(type);
    if (ops.length > 0) r.operation = ops;
    return r;
  });
  const base = structuredClone(inp.base);
  const rest = ((base.rest as Record<string, unknown>[] | undefined) ?? [{ mode: 'server' }])[0];
  rest.resource = resources;
  rest.security = restSecurity(inp.security);
  if (!inp.audited) {
    const security = rest.security as { description?: string };
    security.description = `WARNING: audit is OFF (VESTA_AUDIT=off): accesses are not recorded. Benchmarks and development only. ${security.description ?? ''}`.trim();
  }
  rest.interaction = [...new Set(table.map((s) => SYSTEM_LEVEL[s.name]).filter((x): x is string => !!x))].map((code) => ({ code }));
  if (systemOps.length > 0) rest.operation = systemOps;
  const common = inp.searchEngine.capability('Resource');
  if (common.params.length > 0) rest.searchParam = common.params;
  return {
    ...base,
    rest: [rest],
    date: inp.clock().toISOString(),
    software: { ...(base.software as Record<string, unknown>), version },
    implementation: { ...(base.implementation as Record<string, unknown>), url: inp.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
  };
}
