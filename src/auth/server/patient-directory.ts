import type { SearchService } from '../../services/search-service.js';
import type { AuthContext, Restriction } from '../../vocabulary/access.js';
import type { UserPolicy } from '../smart-policy.js';
import type { PatientDirectory, PatientSummary } from './authorization-flow.js';
import type { User } from './users.js';

interface PatientJson {
  id: string;
  name?: { text?: string; family?: string; given?: string[] }[];
  birthDate?: string;
}

function displayName(p: PatientJson): string {
  const n = p.name?.[0];
  if (!n) return `Patient ${p.id}`;
  return n.text ?? [...(n.given ?? []), n.family ?? ''].join(' ').trim() ?? `Patient ${p.id}`;
}

/**
 * The patients a user may pick in a standalone launch, from the FHIR store: a patient user sees only themselves; any
 * other user sees what the deployment's user policy lets a `user/` grant reach of Patient (by default every patient,
 * as SMART's "the scope alone"). The same restriction decides whether a submitted choice is allowed.
 */
export function storePatientDirectory(search: SearchService, userPolicy: UserPolicy = () => undefined): PatientDirectory {
  const restriction = (user: User): Restriction => {
    if (user.fhirUser?.startsWith('Patient/')) {
      const self = user.fhirUser.slice('Patient/'.length);
      return (type) => (type === 'Patient' ? { kind: 'ids', ids: [self] } : undefined);
    }
    const ctx: AuthContext = { anonymous: false, grants: [], subject: user.username, ...(user.fhirUser ? { fhirUser: user.fhirUser } : {}) };
    return (type) => userPolicy(ctx, type);
  };
  const summarize = (json: string): PatientSummary => {
    const p = JSON.parse(json) as PatientJson;
    return { id: p.id, name: displayName(p), ...(p.birthDate ? { birthDate: p.birthDate } : {}) };
  };
  return {
    async search(user, name, limit) {
      const query: [string, string][] = name.trim() ? [['name', name.trim()]] : [];
      const found = await search.findMatches('Patient', query, limit, restriction(user));
      return found.filter((v) => !v.deleted).map((v) => summarize(v.json));
    },
    async summary(id) {
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return undefined;
      const found = (await search.findMatches('Patient', [['_id', id]], 1)).filter((v) => !v.deleted);
      return found[0] ? summarize(found[0].json) : undefined;
    },
    async visible(user, id) {
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return false;
      const found = await search.findMatches('Patient', [['_id', id]], 1, restriction(user));
      return found.some((v) => !v.deleted);
    },
  };
}
