/// <reference types="fhir" />
import { performance } from 'node:perf_hooks';
import { FHIR_JSON_HEADERS, idFromLocation, versionFromEtag } from './fhir-headers.js';
import { generatePatient, Rng } from './generate.js';
import { httpRequest } from './http-request.js';
import type { ServerHandle } from './server-process.js';

/** One Patient the server accepted, with the id and version it assigned. */
export interface StoredPatient {
  id: string;
  version: number;
  /** What was sent, plus the assigned id: a ready body for later PUTs. */
  resource: fhir4.Patient;
}

/** Outcome of a preload: what is stored and how fast it went in. */
export interface PreloadResult {
  patients: StoredPatient[];
  seconds: number;
  perSecond: number;
}

/** Options for {@link preloadPatients}. */
export interface PreloadOptions {
  count: number;
  seed?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Per-request time limit. */
  timeoutMs?: number;
}

async function createOne(server: ServerHandle, patient: fhir4.Patient, timeoutMs: number): Promise<StoredPatient> {
  const res = await httpRequest(`${server.fhirBase}/Patient`, {
    method: 'POST',
    headers: { ...FHIR_JSON_HEADERS, ...server.headers },
    body: JSON.stringify(patient),
    timeoutMs,
  });
  const text = res.text;
  if (res.status !== 201) throw new Error(`${server.name}: POST /Patient answered ${res.status}: ${text.slice(0, 500)}`);
  let id = idFromLocation(res.headers.location ?? null, 'Patient');
  if (!id) {
    const body = JSON.parse(text) as { id?: unknown };
    if (typeof body.id === 'string') id = body.id;
  }
  if (!id) throw new Error(`${server.name}: POST /Patient gave neither a Location nor a body id`);
  const version = versionFromEtag(res.headers.etag) ?? 1;
  return { id, version, resource: { ...patient, id } };
}

/** Creates `count` generated Patients over HTTP with bounded concurrency; fails on the first non-201. */
export async function preloadPatients(server: ServerHandle, opts: PreloadOptions): Promise<PreloadResult> {
  const rng = new Rng(opts.seed ?? 20240501);
  const concurrency = opts.concurrency ?? 16;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const patients: StoredPatient[] = new Array<StoredPatient>(opts.count);
  let next = 0;
  let failed = false;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < opts.count && !failed) {
      const i = next++;
      try {
        patients[i] = await createOne(server, generatePatient(rng), timeoutMs);
      } catch (err) {
        // Stop the other workers too rather than keep loading a server that already failed.
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, opts.count) }, worker));
  const seconds = (performance.now() - start) / 1000;
  return { patients, seconds, perSecond: opts.count / seconds };
}
