import type { TouchedResource } from '../vocabulary/access.js';
import type { IndexEntries } from '../vocabulary/index-values.js';
import type { StoredVersion } from '../vocabulary/versions.js';
import { compartmentParams } from '../search/index.js';
import type { Indexer } from './ports.js';

/** One touched version; its Patients are worked out on first use (a class, so creating one costs no closures). */
class Touched implements TouchedResource {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string;
  readonly lastUpdated: string;
  private cached: readonly string[] | undefined;

  constructor(
    v: StoredVersion, private readonly contentJson: string, private readonly owner: TouchedResources,
    private readonly index?: IndexEntries,
  ) {
    this.resourceType = v.resourceType;
    this.id = v.id;
    this.versionId = v.versionId;
    this.lastUpdated = v.lastUpdated;
  }

  get patients(): readonly string[] {
    this.cached ??= this.index !== undefined
      ? patientsIn(this.resourceType, this.id, this.index)
      : this.owner.patientsOf(this.resourceType, this.id, this.contentJson);
    return this.cached;
  }
}

/**
 * Describes the resources an interaction returned or wrote, for the audit record (DESIGN principle 8): type, id,
 * version, and the Patients whose compartment (FHIR R4 compartmentdefinition-patient.html) each one is in. The
 * compartment is worked out from the stored JSON only when someone asks, so a read that nobody audits never
 * parses its resource.
 */
export class TouchedResources {
  constructor(private readonly indexer: Indexer) {}

  /** One stored version; for a deletion tombstone pass the JSON of the version it deleted as `contentJson`. */
  // A tombstone's own JSON is the record of its deletion, not a resource: without the deleted content there is none.
  of(v: StoredVersion, contentJson: string = v.deleted ? '' : v.json): TouchedResource {
    return new Touched(v, contentJson, this);
  }

  /**
   * A version just written together with its index rows: its Patients are read from the rows instead of the JSON
   * being parsed and indexed again (which, for a resource of several MB, would hold the event loop).
   */
  ofIndexed(v: StoredVersion, index: IndexEntries): TouchedResource {
    return new Touched(v, '', this, index);
  }

  /** Every version in `list`. */
  all(list: readonly StoredVersion[]): TouchedResource[] {
    return list.map((v) => this.of(v));
  }

  /** The ids of the Patients whose compartment the resource with this JSON is in. */
  patientsOf(type: string, id: string, json: string): readonly string[] {
    if (type === 'Patient') return [id];
    const params = compartmentParams(type);
    if (params.length === 0 || json === '') return [];
    return patientReferences(this.indexer.extract(JSON.parse(json) as { resourceType: string }, new Set(params)));
  }
}

/** The Patients a resource's rows (of its compartment parameters) refer to. */
function patientReferences(rows: IndexEntries): string[] {
  const ids = new Set<string>();
  for (const r of rows) if (r.kind === 'reference' && r.targetType === 'Patient' && r.targetId) ids.add(r.targetId);
  return [...ids];
}

/** The Patients of a resource from its full index rows: those of its compartment parameters (as `patientsOf`). */
function patientsIn(type: string, id: string, index: IndexEntries): readonly string[] {
  if (type === 'Patient') return [id];
  const params = new Set(compartmentParams(type));
  if (params.size === 0) return [];
  return patientReferences(index.filter((r) => params.has(r.param)));
}
