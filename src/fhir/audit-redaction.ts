/** BALP entity roles (http://terminology.hl7.org/CodeSystem/object-role): 1 patient, 4 domain resource, 24 query. */
const PATIENT_ROLE = '1';

type Entity = { role?: { code?: string }; what?: { reference?: string } };

/**
 * A patient's view of AuditEvents (its accounting of disclosures): an event about several patients (a clinician's
 * search that returned a list) keeps only this patient's own entity, and loses the other resources it names and its
 * query, which could identify the others (`Patient?name=...`). Events about this patient alone are unchanged; other
 * resource types pass through.
 */
export function auditEventViewOf(patientId: string): (resource: Record<string, unknown>) => Record<string, unknown> {
  const own = `Patient/${patientId}`;
  return (resource) => {
    if (resource.resourceType !== 'AuditEvent' || !Array.isArray(resource.entity)) return resource;
    const entities = resource.entity as Entity[];
    const others = entities.some((e) => e.role?.code === PATIENT_ROLE && e.what?.reference !== own);
    if (!others) return resource;
    return { ...resource, entity: entities.filter((e) => e.role?.code === PATIENT_ROLE && e.what?.reference === own) };
  };
}
