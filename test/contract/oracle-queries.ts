/**
 * Deterministic generation of the oracle's queries: single parameters of every type and modifier,
 * comma ORs and repeated ANDs, chains (up to two hops), `_has` (nested too), composites, `_id`,
 * `_lastUpdated`/`_tag`/`_profile`, system-level searches with and without `_type`, and `_sort`.
 */
import type { SearchRegistry } from '../../src/search/parameters.js';
import type { Random } from './oracle-random.js';
import { paramPair, type Harvest, type Pair } from './oracle-values.js';

/** One generated query: the searched types (empty: system level) and its parameters in order. */
export interface OracleQuery {
  types: string[];
  params: Pair[];
}

/** The query as a URL-ish text for messages: `Observation?code=x&_sort=-date` (values unencoded). */
export function queryText(q: OracleQuery): string {
  return `${q.types.length === 0 ? '' : q.types.join(',')}?${q.params.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

/** Parameters exercised per resource type (their types come from the registry). */
const PARAMS: Record<string, string[]> = {
  Patient: ['name', 'family', 'given', 'address', 'address-city', 'address-country', 'address-postalcode', 'gender', 'identifier',
    'telecom', 'phone', 'email', 'active', 'deceased', 'language', 'birthdate', 'death-date', 'general-practitioner',
    'organization', '_id', '_lastUpdated', '_tag', '_security', '_profile', '_source'],
  Organization: ['name', 'address-city', 'identifier', 'type', 'active', 'partof', '_id', '_tag', '_lastUpdated'],
  Practitioner: ['name', 'family', 'given', 'identifier', 'gender', 'active', 'email', 'phone', 'address-city', '_lastUpdated', '_profile'],
  Observation: ['code', 'category', 'status', 'combo-code', 'component-code', 'value-concept', 'combo-value-concept', 'value-string',
    'date', 'value-quantity', 'component-value-quantity', 'combo-value-quantity', 'subject', 'patient', 'performer', 'encounter',
    'code-value-quantity', 'component-code-value-quantity', 'code-value-concept', 'code-value-string', 'combo-code-value-quantity',
    '_id', '_lastUpdated', '_tag', '_profile', '_source'],
  Encounter: ['status', 'class', 'type', 'date', 'length', 'subject', 'patient', 'participant', 'practitioner', 'service-provider', '_lastUpdated'],
  MedicationRequest: ['intent', 'status', 'code', 'category', 'authoredon', 'subject', 'patient', 'encounter', 'requester', 'medication', '_tag'],
  Condition: ['code', 'clinical-status', 'verification-status', 'category', 'severity', 'onset-date', 'recorded-date', 'onset-age',
    'onset-info', 'abatement-string', 'subject', 'patient', 'encounter', 'asserter', '_lastUpdated', '_security'],
};

/** Chains: the reference path from the searched type and the type whose parameter ends it. */
const CHAINS: { from: string; path: string; target: string }[] = [
  { from: 'Observation', path: 'subject:Patient', target: 'Patient' },
  { from: 'Observation', path: 'patient', target: 'Patient' },
  { from: 'Observation', path: 'performer:Practitioner', target: 'Practitioner' },
  { from: 'Observation', path: 'encounter', target: 'Encounter' },
  { from: 'Observation', path: 'patient.organization', target: 'Organization' },
  { from: 'Observation', path: 'subject:Patient.general-practitioner:Practitioner', target: 'Practitioner' },
  { from: 'Observation', path: 'encounter.subject:Patient', target: 'Patient' },
  { from: 'Patient', path: 'organization', target: 'Organization' },
  { from: 'Patient', path: 'organization.partof', target: 'Organization' },
  { from: 'Patient', path: 'general-practitioner:Practitioner', target: 'Practitioner' },
  { from: 'Encounter', path: 'subject:Patient', target: 'Patient' },
  { from: 'Encounter', path: 'service-provider', target: 'Organization' },
  { from: 'Encounter', path: 'practitioner', target: 'Practitioner' },
  { from: 'MedicationRequest', path: 'subject:Patient', target: 'Patient' },
  { from: 'MedicationRequest', path: 'encounter', target: 'Encounter' },
  { from: 'MedicationRequest', path: 'requester:Practitioner', target: 'Practitioner' },
  { from: 'MedicationRequest', path: 'patient.organization', target: 'Organization' },
  { from: 'Condition', path: 'patient', target: 'Patient' },
  { from: 'Condition', path: 'encounter', target: 'Encounter' },
  { from: 'Condition', path: 'encounter.service-provider', target: 'Organization' },
  { from: 'Organization', path: 'partof', target: 'Organization' },
];

/** `_has` links: resources of `source` pointing at `target` through `ref`. */
const HAS: { target: string; source: string; ref: string }[] = [
  { target: 'Patient', source: 'Observation', ref: 'subject' }, { target: 'Patient', source: 'Observation', ref: 'patient' },
  { target: 'Patient', source: 'Condition', ref: 'subject' }, { target: 'Patient', source: 'Encounter', ref: 'subject' },
  { target: 'Patient', source: 'MedicationRequest', ref: 'subject' }, { target: 'Practitioner', source: 'Encounter', ref: 'participant' },
  { target: 'Practitioner', source: 'Observation', ref: 'performer' }, { target: 'Practitioner', source: 'Patient', ref: 'general-practitioner' },
  { target: 'Organization', source: 'Patient', ref: 'organization' }, { target: 'Organization', source: 'Encounter', ref: 'service-provider' },
  { target: 'Organization', source: 'Organization', ref: 'partof' }, { target: 'Encounter', source: 'Observation', ref: 'encounter' },
  { target: 'Encounter', source: 'MedicationRequest', ref: 'encounter' }, { target: 'Encounter', source: 'Condition', ref: 'encounter' },
];

/** Sort keys per type (plus `_id` and `_lastUpdated`, valid everywhere). */
const SORTS: Record<string, string[]> = {
  Patient: ['family', 'given', 'name', 'birthdate', 'gender', 'identifier', 'organization', 'address-city', 'active'],
  Organization: ['name', 'partof'], Practitioner: ['family', 'name', 'gender'],
  Observation: ['date', 'code', 'status', 'value-quantity', 'subject', 'category', 'value-string', '_profile'],
  Encounter: ['date', 'status', 'class', 'length'], MedicationRequest: ['authoredon', 'intent', 'status', 'code'],
  Condition: ['onset-date', 'recorded-date', 'code', 'clinical-status'],
};

/** System-level searches: `_type` lists and parameters they share. */
const SYSTEM: { types: string[]; params: string[] }[] = [
  { types: ['Patient', 'Practitioner'], params: ['name', 'family', 'given', 'gender', 'identifier', 'address-city', 'email'] },
  { types: ['Observation', 'Condition'], params: ['code', 'subject', 'patient', 'encounter'] },
  { types: ['Observation', 'Condition', 'MedicationRequest'], params: ['patient', 'subject', 'encounter'] },
  { types: ['Organization', 'Patient', 'Practitioner'], params: ['identifier', 'active', 'address-city'] },
  { types: [], params: ['_lastUpdated', '_tag', '_profile', '_id', '_security', '_source'] },
];

const TYPES = Object.keys(PARAMS);

/** Generates `n` queries; every one is meant to be valid (the parser must accept it). */
export function generateQueries(rng: Random, registry: SearchRegistry, harvest: Harvest, n: number): OracleQuery[] {
  const def = (type: string, code: string) => {
    const d = registry.get(type, code);
    if (!d) throw new Error(`no search parameter ${type}.${code}`);
    return d;
  };
  const simple = (type: string): Pair => paramPair(rng, harvest, type, def(type, rng.pick(PARAMS[type] ?? [])));
  const chained = (from: string): Pair => {
    const options = CHAINS.filter((c) => c.from === from);
    if (options.length === 0) return simple(from);
    const c = rng.pick(options);
    const [name, value] = simple(c.target);
    return [`${c.path}.${name}`, value];
  };
  const has = (target: string, depth: number): Pair => {
    const links = HAS.filter((h) => h.target === target);
    const h = rng.pick(links);
    const nested = depth < 2 && rng.chance(0.3) && HAS.some((x) => x.target === h.source);
    const [name, value] = nested ? has(h.source, depth + 1) : rng.chance(0.2) ? chained(h.source) : simple(h.source);
    return [`_has:${h.source}:${h.ref}:${name}`, value];
  };
  const out: OracleQuery[] = [];
  while (out.length < n) {
    const kind = rng.weighted([[56, 'simple'], [12, 'and'], [10, 'chain'], [3, 'has'], [6, 'system'], [9, 'sort'], [4, 'mixed']] as const);
    const type = rng.pick(TYPES);
    switch (kind) {
      case 'simple': out.push({ types: [type], params: [simple(type)] }); break;
      case 'and': {
        const code = rng.pick(PARAMS[type] ?? []);
        const first = paramPair(rng, harvest, type, def(type, code));
        // Sometimes the same parameter again (a repeated AND), otherwise another one.
        const rest = Array.from({ length: rng.int(1, 2) }, () => (rng.chance(0.3) ? paramPair(rng, harvest, type, def(type, code)) : simple(type)));
        out.push({ types: [type], params: [first, ...rest] });
        break;
      }
      case 'chain': out.push({ types: [type], params: [chained(type)] }); break;
      case 'has': {
        const target = rng.pick(['Patient', 'Practitioner', 'Organization', 'Encounter']);
        out.push({ types: [target], params: [has(target, 1)] });
        break;
      }
      case 'system': {
        const s = rng.pick(SYSTEM);
        const params: Pair[] = Array.from({ length: rng.int(1, 2) }, () => {
          const code = rng.pick(s.params);
          const ofType = s.types.length === 0 ? rng.pick(TYPES) : rng.pick(s.types.filter((t) => registry.get(t, code)));
          return paramPair(rng, harvest, ofType, def(ofType, code));
        });
        out.push({ types: [], params: s.types.length === 0 ? params : [['_type', s.types.join(',')], ...params] });
        break;
      }
      case 'sort': {
        const keys = rng.sample([...(SORTS[type] ?? []), '_id', '_lastUpdated'], rng.int(1, 3)).map((k) => (rng.chance(0.5) ? `-${k}` : k));
        const filters = rng.chance(0.6) ? [simple(type)] : [];
        out.push({ types: [type], params: [...filters, ['_sort', keys.join(',')]] });
        break;
      }
      case 'mixed': out.push({ types: [type], params: [simple(type), rng.chance(0.5) ? chained(type) : simple(type)] }); break;
    }
  }
  return out;
}

const MODIFIERS = ['exact', 'contains', 'missing', 'not', 'text', 'of-type', 'in', 'not-in', 'identifier', 'below', 'above'];
const PREFIX_RE = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)(?=[0-9-])/;

/** The features a query exercises (modifiers, prefixes, chains, `_has`...), for the coverage diagnostic. */
export function featuresOf(q: OracleQuery): string[] {
  const f = new Set<string>();
  if (q.types.length === 0) f.add(q.params.some(([k]) => k === '_type') ? '_type' : 'system');
  const filters = q.params.filter(([k]) => k !== '_sort' && k !== '_count' && k !== '_type');
  if (filters.length > 1) f.add('AND');
  for (const [name, value] of q.params) {
    if (name === '_sort') f.add(value.includes(',') ? '_sort (several keys)' : '_sort');
    if (name.startsWith('_has:')) f.add(name.indexOf('_has:', 1) > 0 ? '_has (nested)' : '_has');
    else if (name.includes('.')) f.add(name.split('.').length > 2 ? 'chain (2 hops)' : 'chain');
    const last = name.split(/[.]/).pop() ?? name;
    const mod = last.split(':').slice(1).pop();
    if (mod !== undefined) f.add(MODIFIERS.includes(mod) ? `:${mod}` : ':[type]');
    if (['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source'].includes(last.split(':')[0] ?? '')) f.add(last.split(':')[0]!);
    const values = value.split(/(?<!\\),/);
    if (values.length > 1) f.add('OR');
    if (value.includes('$')) f.add('composite');
    for (const v of values) {
      const p = PREFIX_RE.exec(v);
      if (p) f.add(`prefix ${p[1]}`);
      if (/\|[^|]*\|/.test(v) && /^[a-z]{0,2}[0-9.e+-]+\|/.test(v)) f.add('quantity system|code');
      if (/^[a-z]{0,2}[0-9.e+-]+\|\|/.test(v)) f.add('quantity ||unit');
      if (v.startsWith('http') && /\/[A-Z][A-Za-z]+\/[^/]+$/.test(v)) f.add('absolute reference');
    }
  }
  return [...f];
}
