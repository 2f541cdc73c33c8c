/**
 * Synthea test data (shared/data/synthea) and US Core packages (shared/data/fhir-packages) for the e2e tests:
 * reading the transaction Bundles as plain resources, loading them into a test server resource by resource,
 * and reading one file out of an npm-style `.tgz` package without unpacking it to disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fhir } from './test-app.js';

/** A FHIR resource as plain JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export { PACKAGES_DIR, SHARED_DATA, SYNTHEA_DIR } from './shared-data.js';
import { PACKAGES_DIR, SYNTHEA_DIR } from './shared-data.js';

/** True when the shared data directory is present (tests needing it skip otherwise). */
export const hasSharedData = (): boolean => fs.existsSync(SYNTHEA_DIR) && fs.existsSync(PACKAGES_DIR);

/** The Synthea Bundle file names, sorted. */
export const syntheaFiles = (): string[] => fs.readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith('.json')).sort();

/**
 * The resources of the named Synthea Bundles, with every `urn:uuid:<id>` reference rewritten to `Type/<id>`
 * (the uuid is kept as the id), as the transaction would have done.
 */
export function readSynthea(files: readonly string[]): Json[] {
  const out: Json[] = [];
  for (const file of files) {
    const bundle = JSON.parse(fs.readFileSync(path.join(SYNTHEA_DIR, file), 'utf8')) as Json;
    const urls = new Map<string, string>();
    for (const e of bundle.entry as Json[]) urls.set(e.fullUrl as string, `${e.resource.resourceType}/${e.resource.id}`);
    for (const e of bundle.entry as Json[]) out.push(rewriteReferences(e.resource as Json, urls));
  }
  return out;
}

function rewriteReferences(value: Json, urls: Map<string, string>): Json {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o: Json = {};
    for (const [k, x] of Object.entries(v)) {
      o[k] = k === 'reference' && typeof x === 'string' && urls.has(x) ? urls.get(x) : walk(x);
    }
    return o;
  };
  return walk(value) as Json;
}

/**
 * Synthea (2019) writes no Medication resources: every MedicationRequest has a `medicationCodeableConcept`.
 * So `_include=MedicationRequest:medication` can be tested, every second MedicationRequest (in load order)
 * is turned into a `medicationReference` to a Medication `rxnorm-<code>` made from the same concept; several
 * requests share one Medication, which is what the no-duplicates check needs. Returns the new resource list.
 */
export function withMedicationResources(resources: Json[]): Json[] {
  const meds = new Map<string, Json>();
  let n = 0;
  const out = resources.map((r) => {
    if (r.resourceType !== 'MedicationRequest' || !r.medicationCodeableConcept || n++ % 2 === 1) return r;
    const concept = r.medicationCodeableConcept as Json;
    const id = `rxnorm-${concept.coding[0].code as string}`;
    if (!meds.has(id)) meds.set(id, { resourceType: 'Medication', id, code: concept });
    const { medicationCodeableConcept: _drop, ...rest } = r;
    return { ...rest, medicationReference: { reference: `Medication/${id}`, display: concept.text } };
  });
  return [...meds.values(), ...out];
}

/** Loads resources with `PUT {base}/{type}/{id}`, `concurrency` requests at a time; fails on any non-2xx. */
export async function putAll(base: string, resources: Json[], concurrency = 8): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < resources.length) {
      const r = resources[next++];
      const res = await fhir('PUT', `${base}/${r.resourceType as string}/${r.id as string}`, { body: r });
      if (res.status !== 200 && res.status !== 201) {
        throw new Error(`PUT ${r.resourceType as string}/${r.id as string} answered ${res.status}: ${res.text.slice(0, 500)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * One file of a gzipped tar (an npm-style FHIR package), e.g. `package/CapabilityStatement-x.json`, read in
 * memory (POSIX ustar headers: name at 0, size in octal at 124, prefix at 345; GNU long names are followed).
 */
export function readFromTgz(tgzPath: string, member: string): string {
  const tar = zlib.gunzipSync(fs.readFileSync(tgzPath));
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number): string => header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const kind = field(156, 1);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    longName = undefined;
    if (kind === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if (name === member && (kind === '0' || kind === '')) return body.toString('utf8');
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${member} not found in ${tgzPath}`);
}

const capabilities = new Map<string, Json>();

/** The US Core server CapabilityStatement of a package version (`311`, `610`, `700`), read once per version. */
export function usCoreServerCapability(version: string): Json {
  let cs = capabilities.get(version);
  if (!cs) {
    const tgz = path.join(PACKAGES_DIR, `hl7.fhir.us.core-${version}.tgz`);
    cs = JSON.parse(readFromTgz(tgz, 'package/CapabilityStatement-us-core-server.json')) as Json;
    capabilities.set(version, cs);
  }
  return structuredClone(cs);
}
