import type { ScopeGrant } from '../vocabulary/access.js';

/** The scopes of a token, read: FHIR grants, launch and identity scopes, and what was ignored (SMART App Launch 2.x). */
export interface ParsedScopes {
  grants: ScopeGrant[];
  /** Scopes that are not resource grants but mean something (`launch/patient`, `openid`, `offline_access`...). */
  other: string[];
  /** Scopes that could not be read; they grant nothing. */
  ignored: string[];
}

/** Non-resource scopes of SMART App Launch 2.x and OpenID Connect. */
const KNOWN_OTHER = new Set([
  'launch', 'launch/patient', 'launch/encounter', 'openid', 'fhirUser', 'profile', 'offline_access', 'online_access',
]);

const CONTEXTS = new Set(['patient', 'user', 'system']);
const V1: Readonly<Record<string, string>> = { read: 'rs', write: 'cud', '*': 'cruds' };
/** Any non-empty subsequence of `cruds`, in that order. */
const V2 = /^c?r?u?d?s?$/;
const SCOPE = /^([a-z]+)\/([A-Za-z]+|\*)\.([a-z*]+)(?:\?(.*))?$/;

/** The grant one scope stands for, or undefined when it is not a (valid) resource scope. */
export function parseScope(scope: string, resourceTypes: ReadonlySet<string>): ScopeGrant | undefined {
  const m = SCOPE.exec(scope);
  if (!m) return undefined;
  const [, context, type, action, query] = m as unknown as [string, ScopeGrant['context'], string, string, string | undefined];
  if (!CONTEXTS.has(context)) return undefined;
  if (type !== '*' && !resourceTypes.has(type)) return undefined;
  const v1 = V1[action];
  const permissions = v1 ?? (action !== '' && V2.test(action) ? action : undefined);
  if (permissions === undefined) return undefined;
  const grant: ScopeGrant = { context, resourceType: type, permissions };
  if (query !== undefined) {
    // Granular scopes are a v2 feature; a query on a v1 scope or on every type is not one Vesta can read.
    if (v1 !== undefined || type === '*' || query === '') return undefined;
    const pairs = [...new URLSearchParams(query)];
    if (pairs.length === 0 || pairs.some(([k, v]) => k === '' || v === '')) return undefined;
    grant.query = pairs;
  }
  return grant;
}

/**
 * Reads a space-separated scope string. A scope Vesta cannot read is ignored (it never widens what a token may do)
 * and reported in `ignored`, so the caller can log it.
 */
export function parseScopes(scope: string | undefined, resourceTypes: ReadonlySet<string>): ParsedScopes {
  const out: ParsedScopes = { grants: [], other: [], ignored: [] };
  for (const s of (scope ?? '').split(/\s+/)) {
    if (s === '') continue;
    const grant = parseScope(s, resourceTypes);
    if (grant) out.grants.push(grant);
    else if (KNOWN_OTHER.has(s)) out.other.push(s);
    else out.ignored.push(s);
  }
  return out;
}

/** The scope text of a grant (v2 form), for messages and introspection. */
export function scopeText(g: ScopeGrant): string {
  const q = g.query ? `?${new URLSearchParams(g.query as [string, string][]).toString()}` : '';
  return `${g.context}/${g.resourceType}.${g.permissions}${q}`;
}
