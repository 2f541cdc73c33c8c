import { normalizeString } from '../search/index.js';
import type { AuditEntry, AuditEntityRow } from '../store/audit-trail.js';
import type { AccessEvent, SecurityEvent } from '../vocabulary/access.js';

/** Code systems of the AuditEvent codings Vesta writes (FHIR R4, DICOM, IHE BALP). */
export const SYSTEMS = {
  eventType: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  restful: 'http://hl7.org/fhir/restful-interaction',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  vesta: 'urn:vesta:audit-event-subtype',
} as const;

/**
 * One audit record as stored and hashed: everything an AuditEvent shows, nothing of the data itself (no resource
 * content, no search results; the query as sent, for `entity.query`). Security events (logins, tokens) share the
 * shape with `type` `security`.
 */
export interface AuditRecord {
  kind: 'rest' | 'security';
  /** `system|code` of AuditEvent.type and .subtype. */
  type: string;
  subtype: string;
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  recorded: string;
  outcome: '0' | '4' | '8' | '12';
  outcomeDesc?: string;
  /** HTTP status of a FHIR interaction. */
  status?: number;
  /** The user: a `fhirUser` reference, or the token's subject. */
  who?: string;
  clientId?: string;
  address?: string;
  userAgent?: string;
  requestId?: string;
  /** The access token's `jti` (BALP oAuth agent policy). */
  tokenId?: string;
  /** The interaction's resource type and `$operation`. */
  resourceType?: string;
  operation?: string;
  /** Resources touched: `Type/id/_history/v` (or `Type/id` for an attempt on a resource). */
  entities: string[];
  /** Ids of the Patients whose data it was. */
  patients: string[];
  /** The search or operation parameters as sent, as a query string. */
  query?: string;
  /** This server (AuditEvent.source.site). */
  site: string;
}

/** BALP outcome: 0 success, 4 minor failure (the client's request was refused), 8 serious failure (the server failed). */
function outcomeOf(status: number): AuditRecord['outcome'] {
  if (status < 400) return '0';
  if (status === 503) return '12';
  return status < 500 ? '4' : '8';
}

const OUTCOME_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request', 401: 'Not authenticated', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed', 406: 'Not acceptable',
  409: 'Conflict', 410: 'Gone', 412: 'Precondition failed', 413: 'Payload too large', 415: 'Unsupported media type',
  422: 'Unprocessable entity', 500: 'Internal error', 501: 'Not implemented', 503: 'Service unavailable',
};

/** The record of one FHIR interaction (one per request, and one per Bundle entry). */
export function recordOfAccess(e: AccessEvent, site: string): AuditRecord {
  const ctx = e.context;
  const p = ctx.principal;
  const entities = e.touched.map((t) => (t.versionId ? `${t.resourceType}/${t.id}/_history/${t.versionId}` : `${t.resourceType}/${t.id}`));
  // An attempt on one resource names it even when nothing was read (a 404, a 403): who tried what is the point.
  if (ctx.resourceType && ctx.id && !e.touched.some((t) => t.resourceType === ctx.resourceType && t.id === ctx.id)) {
    entities.push(`${ctx.resourceType}/${ctx.id}`);
  }
  const patients = new Set<string>();
  for (const t of e.touched) for (const id of t.patients) patients.add(id);
  if (ctx.compartmentPatient) patients.add(ctx.compartmentPatient);
  const record: AuditRecord = {
    kind: 'rest',
    type: `${SYSTEMS.eventType}|rest`,
    subtype: `${SYSTEMS.restful}|${ctx.interaction}`,
    action: e.action ?? 'E',
    recorded: e.recorded,
    outcome: outcomeOf(e.status),
    entities,
    patients: [...patients],
    site,
  };
  if (e.status >= 400) record.outcomeDesc = `${e.status} ${OUTCOME_TEXT[e.status] ?? 'Failed'}`;
  record.status = e.status;
  const who = p.fhirUser ?? p.subject;
  if (who !== undefined) record.who = who;
  if (p.clientId !== undefined) record.clientId = p.clientId;
  if (ctx.client.address !== undefined) record.address = ctx.client.address;
  if (ctx.client.userAgent !== undefined) record.userAgent = ctx.client.userAgent;
  record.requestId = ctx.requestId;
  if (p.tokenId !== undefined) record.tokenId = p.tokenId;
  if (ctx.resourceType !== undefined) record.resourceType = ctx.resourceType;
  if (ctx.operation !== undefined) record.operation = ctx.operation;
  if (e.query && e.query.length > 0) record.query = new URLSearchParams(e.query).toString();
  return order(record);
}

/** BALP: user authentication events are DICOM 110114 with Login/Logout subtypes; the token life cycle is Vesta's own. */
const SECURITY_SUBTYPES: Readonly<Record<SecurityEvent['kind'], [type: string, subtype: string]>> = {
  login: [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.dicom}|110122`],
  logout: [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.dicom}|110123`],
  lockout: [`${SYSTEMS.dicom}|110113`, `${SYSTEMS.vesta}|lockout`],
  consent: [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.vesta}|consent`],
  'client-authentication': [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.vesta}|client-authentication`],
  'token-issued': [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.vesta}|token-issued`],
  'token-refreshed': [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.vesta}|token-refreshed`],
  'token-introspected': [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.vesta}|token-introspected`],
  'token-revoked': [`${SYSTEMS.dicom}|110114`, `${SYSTEMS.vesta}|token-revoked`],
  // DICOM 110101 Audit Log Used: the trail itself was maintained.
  'audit-pruned': [`${SYSTEMS.dicom}|110101`, `${SYSTEMS.vesta}|audit-pruned`],
};

/** The record of one security event of the authorization server. */
export function recordOfSecurity(e: SecurityEvent, site: string): AuditRecord {
  const [type, subtype] = SECURITY_SUBTYPES[e.kind];
  const record: AuditRecord = {
    kind: 'security', type, subtype, action: 'E', recorded: e.recorded, outcome: e.success ? '0' : '4',
    entities: [], patients: e.patient ? [e.patient] : [], site,
  };
  if (e.reason !== undefined) record.outcomeDesc = e.reason;
  else if (!e.success) record.outcomeDesc = 'Failed';
  if (e.user !== undefined) record.who = e.user;
  if (e.clientId !== undefined) record.clientId = e.clientId;
  if (e.client.address !== undefined) record.address = e.client.address;
  if (e.client.userAgent !== undefined) record.userAgent = e.client.userAgent;
  if (e.requestId !== undefined) record.requestId = e.requestId;
  if (e.tokenId !== undefined) record.tokenId = e.tokenId;
  if (e.scopes !== undefined) record.query = new URLSearchParams([['scope', e.scopes]]).toString();
  return order(record);
}

const KEY_ORDER: readonly (keyof AuditRecord)[] = [
  'kind', 'type', 'subtype', 'action', 'recorded', 'outcome', 'outcomeDesc', 'status', 'who', 'clientId', 'address', 'userAgent',
  'requestId', 'tokenId', 'resourceType', 'operation', 'entities', 'patients', 'query', 'site',
];

/** The record with its keys in one fixed order, so its JSON text is canonical (the chain hashes that text). */
function order(r: AuditRecord): AuditRecord {
  const out: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (r[k] !== undefined) out[k] = r[k];
  return out as unknown as AuditRecord;
}

/** What the trail stores of a record: its canonical text, the columns searches read and its entity rows. */
export function entryOf(r: AuditRecord): AuditEntry {
  const entities: AuditEntityRow[] = r.entities.map((what) => {
    const [type = '', id = ''] = what.split('/');
    return { role: 'resource', ref: `${type}/${id}`, type, entityType: '2' };
  });
  for (const id of r.patients) entities.push({ role: 'patient', ref: `Patient/${id}`, type: 'Patient', entityType: '1' });
  const names = [r.who, r.clientId].filter((n): n is string => n !== undefined).map(normalizeString);
  return {
    text: JSON.stringify(r),
    columns: {
      recorded: Date.parse(r.recorded), type: r.type, subtype: r.subtype, action: r.action, outcome: r.outcome,
      ...(r.who !== undefined ? { who: r.who } : {}), agentNames: names.join('\n'),
      ...(r.clientId !== undefined ? { client: r.clientId } : {}), ...(r.address !== undefined ? { address: r.address } : {}), site: r.site,
    },
    entities,
  };
}
