import { FhirError, badRequest, notFound, preconditionFailed } from '../fhir/outcome.js';
import type { IdGenerator } from '../fhir/ids.js';
import { isJsonObject } from '../fhir/resource-json.js';
import type { StoredVersion } from '../store/port.js';
import type { SearchService } from './search-service.js';
import { processingOrder } from './bundle-plan.js';
import type { PlannedEntry } from './bundle-plan.js';
import { conditionalReference, rewriteReferences } from './bundle-references.js';
import type { ReferenceTable } from './bundle-references.js';
import type { WorkEntry } from './bundle-entry.js';

/** Conditional reference → local reference (or the error it gives), shared by the entries of one Bundle. */
export type ConditionalCache = Map<string, string | FhirError>;

/** `If-None-Exist` criteria: a query string, optionally with a leading `Type?` or `?` (http.html#ccreate). */
function ifNoneExistCriteria(raw: string): [string, string][] {
  const qs = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : raw;
  return [...new URLSearchParams(qs)];
}

async function matches(search: SearchService, type: string, criteria: [string, string][]): Promise<StoredVersion[]> {
  if (criteria.length === 0) throw badRequest('A conditional entry needs search criteria');
  return search.findMatches(type, criteria, 2);
}

/**
 * Settles, inside the transaction, the entries whose target is found by searching (FHIR R4 http.html#trules):
 * conditional creates (`ifNoneExist`), conditional updates, deletes and patches. Records what their
 * fullUrls mean in `refs`, rewrites their URL to the instance found, and sets `work` for the outcomes that
 * are not a plain dispatch. Placeholders in criteria are replaced first. Errors become the entry's work.
 */
export async function resolveEntryTargets(entries: WorkEntry[], refs: ReferenceTable, search: SearchService, ids: IdGenerator): Promise<void> {
  for (const index of processingOrder(entries)) {
    const w = entries[index];
    if (!w.deferred) continue;
    try {
      await resolveTarget(w, refs, search, ids);
    } catch (e) {
      if (!(e instanceof FhirError)) throw e;
      w.work = { kind: 'fail', error: e };
    }
  }
}

async function resolveTarget(w: WorkEntry, refs: ReferenceTable, search: SearchService, ids: IdGenerator): Promise<void> {
  const type = w.path;
  const local = (pairs: [string, string][]): [string, string][] => pairs.map(([k, v]) => [k, refs.resolve(v, undefined) ?? v]);
  const setFullUrl = (id: string): void => {
    if (w.fullUrl !== undefined) refs.set(w.fullUrl, `${type}/${id}`);
  };
  switch (w.method) {
    case 'POST': {
      const found = await matches(search, type, local(ifNoneExistCriteria(w.conditions.ifNoneExist ?? '')));
      if (found.length > 1) throw preconditionFailed('The ifNoneExist criteria match more than one resource');
      if (found.length === 1) {
        setFullUrl(found[0].id);
        w.work = { kind: 'existing', version: found[0] };
      } else setFullUrl(w.createId!);
      return;
    }
    case 'PUT': {
      const found = await matches(search, type, local(w.query));
      if (found.length > 1) throw preconditionFailed('The conditional update criteria match more than one resource');
      const bodyId = isJsonObject(w.body) && typeof w.body.id === 'string' ? w.body.id : undefined;
      if (found.length === 1 && bodyId !== undefined && bodyId !== found[0].id) {
        throw badRequest('The resource id does not match the resource found by the conditional update criteria', [`${type}.id`]);
      }
      // No match: update-as-create with the client's id, or a server-assigned one (http.html#cond-update).
      const id = found.length === 1 ? found[0].id : (bodyId ?? ids());
      if (isJsonObject(w.body)) w.body = { ...w.body, id };
      w.path = `${type}/${id}`;
      w.query = [];
      setFullUrl(id);
      return;
    }
    case 'DELETE':
    case 'PATCH': {
      const found = await matches(search, type, local(w.query));
      const what = w.method === 'DELETE' ? 'conditional delete' : 'conditional patch';
      if (found.length > 1) throw preconditionFailed(`The ${what} criteria match more than one resource`);
      if (found.length === 0) {
        if (w.method === 'PATCH') throw notFound('The conditional patch criteria match no resource');
        w.work = { kind: 'nothing-to-delete' };
        return;
      }
      w.path = `${type}/${found[0].id}`;
      w.query = [];
      return;
    }
    case 'GET':
    case 'HEAD':
      return;
  }
}

/**
 * Replaces every conditional reference (`Patient?identifier=sys|val`) in the entry's resource with the one
 * resource it matches (FHIR R4 http.html#trules). No match is a 404 and several a 412, located at the reference.
 */
export async function resolveConditionalReferences(entry: PlannedEntry, search: SearchService, cache: ConditionalCache): Promise<void> {
  const found: { ref: string; at: string }[] = [];
  rewriteReferences(entry.body, (ref, at) => {
    if (ref.includes('?') && conditionalReference(ref)) found.push({ ref, at: at() });
    return undefined;
  });
  if (found.length === 0) return;
  for (const { ref, at } of found) {
    let local = cache.get(ref);
    if (local === undefined) {
      local = await lookup(ref, search);
      cache.set(ref, local);
    }
    if (local instanceof FhirError) {
      const issue = local.outcome.issue.map((i) => ({ ...i, expression: [`Bundle.entry[${entry.index}].resource.${at}`] }));
      throw new FhirError(local.status, { ...local.outcome, issue });
    }
  }
  rewriteReferences(entry.body, (ref) => {
    const local = cache.get(ref);
    return typeof local === 'string' ? local : undefined;
  });
}

async function lookup(ref: string, search: SearchService): Promise<string | FhirError> {
  const cond = conditionalReference(ref)!;
  try {
    const hits = await matches(search, cond.type, cond.query);
    if (hits.length === 0) return notFound(`The conditional reference to ${cond.type} matches no resource`);
    if (hits.length > 1) return preconditionFailed(`The conditional reference to ${cond.type} matches more than one resource`);
    return `${cond.type}/${hits[0].id}`;
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
}
