import { badRequest, notFound } from '../fhir/outcome.js';
import { parseInstant } from '../fhir/instant.js';
import type { Clause } from '../vocabulary/plan.js';
import type { Handler } from './deps.js';

/**
 * `GET [base]/AuditEvent/$verify[?from=&to=]` (Vesta operation, administrative): walks the audit trail's hash chain
 * and signed checkpoints (all of it, or a window of dates) and reports whether it is intact, and the first broken
 * link when it is not, as Parameters.
 */
export const verifyAudit: Handler = async (req, deps) => {
  if (!deps.audit) throw notFound('This server keeps no audit trail to verify');
  const value = (name: string): string | undefined => req.query.find(([k]) => k === name)?.[1];
  const from = value('from');
  const to = value('to');
  const report = await deps.audit.verify(from ? Date.parse(parseInstant(from, 'from')) : undefined, to ? Date.parse(parseInstant(to, 'to')) : undefined);
  const parameter: Record<string, unknown>[] = [
    { name: 'intact', valueBoolean: report.intact },
    { name: 'checked', valueInteger: report.checked },
    { name: 'checkpoints', valueInteger: report.checkpoints },
    { name: 'milliseconds', valueDecimal: Math.round(report.ms) },
  ];
  if (report.from !== undefined) parameter.push({ name: 'from', valueString: String(report.from) });
  if (report.to !== undefined) parameter.push({ name: 'to', valueString: String(report.to) });
  if (report.broken) parameter.push({ name: 'brokenAt', valueString: String(report.broken.seq) }, { name: 'problem', valueString: report.broken.problem });
  return { status: 200, body: { resourceType: 'Parameters', parameter } };
};

/**
 * `GET [base]/Patient/{id}/$audit` (Vesta operation): the patient's accounting of disclosures (HIPAA §164.528):
 * the AuditEvents whose patient is this one (who saw what, when, through which app), newest first, paged like a
 * search (`_count`, `date=ge...`), under the caller's access to AuditEvents.
 */
export const patientAudit: Handler = async (req, deps, decision) => {
  const patient = req.id!;
  if (req.resourceType !== 'Patient') throw badRequest('$audit runs on a Patient');
  // A patient (seeing AuditEvents through its own view) has an accounting of its own disclosures, no one else's.
  if (decision.redact && req.auth?.patient !== patient) throw notFound(`Patient/${patient} is not known`);
  const own: Clause = { kind: 'reference', param: { code: 'patient', type: 'reference' }, targetType: 'Patient', id: patient };
  const restrict = (t: string): Clause | undefined => {
    const access = decision.restrict?.(t);
    return t === 'AuditEvent' ? (access ? { kind: 'and', clauses: [own, access] } : own) : access;
  };
  const query: [string, string][] = req.query.filter(([k]) => k === 'date' || k === '_count' || k === '_cursor' || k === '_total');
  if (!query.some(([k]) => k === '_sort')) query.push(['_sort', '-date']);
  const outcome = await deps.search.run({
    types: ['AuditEvent'], query, strict: true, baseUrl: req.baseUrl, linkPath: `Patient/${patient}/$audit`, restrict,
  });
  return { status: 200, bodyText: outcome.bodyText, touched: outcome.touched };
};
