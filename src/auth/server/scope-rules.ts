import type { ScopeGrant } from '../../vocabulary/access.js';
import { parseScope } from '../scopes.js';

/** Scopes that are not resource grants and that the authorization server understands. */
export const IDENTITY_SCOPES = ['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'online_access'];

const covers = (wide: ScopeGrant, narrow: ScopeGrant): boolean =>
  wide.context === narrow.context
  && (wide.resourceType === '*' || wide.resourceType === narrow.resourceType)
  && [...narrow.permissions].every((l) => wide.permissions.includes(l))
  // A granular registered scope only covers the same query; an unrestricted one covers any query.
  && (wide.query === undefined || JSON.stringify(wide.query) === JSON.stringify(narrow.query ?? null));

/**
 * The requested scopes a client may have: each must be one of its registered scopes, or a resource scope that a
 * registered resource scope covers (same context, type or `*`, a subset of its letters). Unknown scopes are dropped,
 * never widened. `system/` scopes only for backend clients; backend clients only `system/` scopes.
 */
export function allowedScopes(requested: string, registered: string, types: ReadonlySet<string>, backend: boolean): string[] {
  const reg = registered.split(/\s+/).filter(Boolean);
  const regGrants = reg.map((s) => parseScope(s, types)).filter((g): g is ScopeGrant => g !== undefined);
  const out: string[] = [];
  for (const s of requested.split(/\s+/)) {
    if (s === '' || out.includes(s)) continue;
    const grant = parseScope(s, types);
    if (grant) {
      if ((grant.context === 'system') !== backend) continue;
      if (reg.includes(s) || regGrants.some((g) => covers(g, grant))) out.push(s);
    } else if (!backend && IDENTITY_SCOPES.includes(s) && reg.includes(s)) out.push(s);
  }
  return out;
}

/** Whether every scope of `narrow` is within `wide` (a refresh may narrow, never widen). */
export function isSubset(narrow: readonly string[], wide: readonly string[]): boolean {
  return narrow.every((s) => wide.includes(s));
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  Observation: 'lab results, vital signs and other observations', Condition: 'conditions and diagnoses',
  MedicationRequest: 'medications', MedicationStatement: 'medications', AllergyIntolerance: 'allergies',
  Immunization: 'immunizations', Encounter: 'visits', Procedure: 'procedures', DiagnosticReport: 'test reports',
  DocumentReference: 'documents', CarePlan: 'care plans', Goal: 'goals', Patient: 'demographics (name, birth date, address)',
  Practitioner: 'care providers', Coverage: 'insurance coverage', '*': 'health records (all kinds of data)',
};

/**
 * One scope in plain words for the consent page ("Read your lab results..."). Patient scopes speak of "your" data
 * (the patient in context); user scopes of the data the user may see; granular scopes name their restriction.
 */
export function describeScope(scope: string, types: ReadonlySet<string>): string {
  switch (scope) {
    case 'openid': case 'profile': return 'Know who you are (your name and user account)';
    case 'fhirUser': return 'Know which person record you are (your FHIR user)';
    case 'launch': return 'Open in the context of the current patient and visit';
    case 'launch/patient': return 'Know which patient you choose';
    case 'launch/encounter': return 'Know which visit you are in';
    case 'offline_access': return 'Keep access when you are not using it, until you revoke it';
    case 'online_access': return 'Keep access while you are using it';
    default: break;
  }
  const g = parseScope(scope, types);
  if (!g) return scope;
  const what = TYPE_WORDS[g.resourceType] ?? `${g.resourceType} records`;
  const whose = g.context === 'patient' ? 'your' : g.context === 'user' ? 'the' : 'all';
  const verbs: string[] = [];
  if (g.permissions.includes('r') || g.permissions.includes('s')) verbs.push('read');
  if (g.permissions.includes('c')) verbs.push('add to');
  if (g.permissions.includes('u')) verbs.push('update');
  if (g.permissions.includes('d')) verbs.push('delete');
  const first = verbs.join(', ').replace(/, ([^,]*)$/, ' and $1');
  const limit = g.query ? ` (only ${g.query.map(([, v]) => v.split('|').pop()).join(', ')})` : '';
  const tail = g.context === 'user' ? ' you have access to' : '';
  return `${first.charAt(0).toUpperCase()}${first.slice(1)} ${whose} ${what}${limit}${tail}`;
}
