import type { StoredAudit } from '../store/audit-trail.js';
import type { StoredVersion } from '../vocabulary/versions.js';
import { SYSTEMS } from './record.js';
import type { AuditRecord } from './record.js';

const coding = (systemCode: string, display?: string): Record<string, string> => {
  const bar = systemCode.lastIndexOf('|');
  const c: Record<string, string> = { system: systemCode.slice(0, bar), code: systemCode.slice(bar + 1) };
  if (display !== undefined) c.display = display;
  return c;
};

const ACTION_PROFILE: Readonly<Record<string, string>> = {
  read: 'Read', vread: 'Read', 'history-instance': 'Read', create: 'Create', update: 'Update', patch: 'Update', delete: 'Delete',
  'search-type': 'Query', 'search-system': 'Query', 'history-type': 'Query', 'history-system': 'Query',
};

/** A reference to `who`: a FHIR reference when it is one, else an identifier (an OAuth subject, a username). */
function whoOf(who: string): Record<string, unknown> {
  return /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(who) ? { reference: who } : { identifier: { value: who } };
}

/**
 * The FHIR R4 AuditEvent of a stored record, shaped after IHE BALP (RESTful Read/Create/Update/Delete/Query with the
 * patient slice; oAuth access-token use): type/subtype, action, recorded, outcome (+ outcomeDesc), the user agent
 * (requestor), the client application (Source Role ID, with its network address), this server (Destination Role
 * ID), the source, every resource touched with its version, the patients concerned (role Patient) and the query
 * (base64, as R4 requires).
 */
export function renderAuditEvent(seq: number, text: string): Record<string, unknown> {
  const r = JSON.parse(text) as AuditRecord;
  const interaction = r.subtype.slice(r.subtype.lastIndexOf('|') + 1);
  const profile = r.kind === 'rest' && ACTION_PROFILE[interaction] !== undefined
    ? [`https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.${r.patients.length > 0 ? 'Patient' : ''}${ACTION_PROFILE[interaction]}`]
    : undefined;
  const agents: Record<string, unknown>[] = [];
  if (r.who !== undefined || r.tokenId !== undefined) {
    const user: Record<string, unknown> = {
      type: { coding: [coding('https://profiles.ihe.net/ITI/BALP/CodeSystem/UserAgentTypes|UserOauthAgent', 'User OAuth Agent participant')] },
      requestor: true,
    };
    if (r.who !== undefined) user.who = whoOf(r.who);
    if (r.tokenId !== undefined) user.policy = [r.tokenId];
    agents.push(user);
  }
  const client: Record<string, unknown> = {
    type: { coding: [coding(`${SYSTEMS.dicom}|110153`, 'Source Role ID')] },
    requestor: r.who === undefined && r.tokenId === undefined,
  };
  if (r.clientId !== undefined) client.who = { identifier: { system: 'urn:vesta:client-id', value: r.clientId }, display: r.clientId };
  if (r.address !== undefined) client.network = { address: r.address, type: /^[\d.:a-fA-F]+$/.test(r.address) ? '2' : '1' };
  agents.push(client);
  agents.push({ type: { coding: [coding(`${SYSTEMS.dicom}|110152`, 'Destination Role ID')] }, who: { display: r.site }, requestor: false });
  const entity: Record<string, unknown>[] = r.entities.map((what) => ({
    what: { reference: what },
    type: coding('http://terminology.hl7.org/CodeSystem/audit-entity-type|2', 'System Object'),
    role: coding('http://terminology.hl7.org/CodeSystem/object-role|4', 'Domain Resource'),
  }));
  for (const id of r.patients) {
    entity.push({
      what: { reference: `Patient/${id}` },
      type: coding('http://terminology.hl7.org/CodeSystem/audit-entity-type|1', 'Person'),
      role: coding('http://terminology.hl7.org/CodeSystem/object-role|1', 'Patient'),
    });
  }
  if (r.query !== undefined) {
    entity.push({
      type: coding('http://terminology.hl7.org/CodeSystem/audit-entity-type|2', 'System Object'),
      role: coding('http://terminology.hl7.org/CodeSystem/object-role|24', 'Query'),
      query: Buffer.from(r.query, 'utf8').toString('base64'),
    });
  }
  const event: Record<string, unknown> = {
    resourceType: 'AuditEvent',
    id: String(seq),
    meta: { versionId: '1', lastUpdated: r.recorded, ...(profile ? { profile } : {}) },
    type: coding(r.type),
    subtype: [coding(r.subtype)],
    action: r.action,
    recorded: r.recorded,
    outcome: r.outcome,
  };
  if (r.outcomeDesc !== undefined) event.outcomeDesc = r.outcomeDesc;
  event.agent = agents;
  event.source = {
    site: r.site, observer: { display: r.site },
    type: [coding('http://terminology.hl7.org/CodeSystem/security-source-type|4', 'Application Server')],
  };
  if (entity.length > 0) event.entity = entity;
  return event;
}

/** A stored record as the version the FHIR API serves: AuditEvent/{seq}, version 1, never deleted. */
export function auditVersion(a: StoredAudit): StoredVersion {
  const event = renderAuditEvent(a.seq, a.text);
  return {
    resourceType: 'AuditEvent', id: String(a.seq), versionId: '1', lastUpdated: (event.recorded as string), deleted: false, method: 'POST',
    json: JSON.stringify(event),
  };
}
