import type { Meta, Resource } from 'fhir/r4.js';
import { carryExact } from './exact-json.js';
import { carrySliced } from './json-slices.js';

/** A FHIR resource as a plain JSON object. */
export type AnyResource = Resource & Record<string, unknown>;

/**
 * Returns the resource with server-owned fields set: `id`, and `meta.versionId`/`meta.lastUpdated`
 * replacing whatever the client sent (FHIR R4 resource.html#Meta). Key order puts resourceType, id and
 * meta first so stored JSON reads naturally.
 */
export function stampMeta(resource: AnyResource, id: string, versionId: string, lastUpdated: string): AnyResource {
  const { resourceType, id: _ignored, meta, ...rest } = resource;
  const clientMeta: Meta = meta && typeof meta === 'object' ? { ...meta } : {};
  delete clientMeta.versionId;
  delete clientMeta.lastUpdated;
  const stamped = { resourceType, id, meta: { versionId, lastUpdated, ...clientMeta }, ...rest } as AnyResource;
  carryExact(resource, stamped);
  carrySliced(resource, stamped);
  return stamped;
}

/** True when `v` is a JSON object (not an array, not null). */
export const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
