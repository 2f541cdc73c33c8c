/// <reference types="fhir" />
import type autocannon from 'autocannon';
import { FHIR_JSON_HEADERS, headerOf, versionFromEtag } from './fhir-headers.js';
import { generatePatients, Rng } from './generate.js';
import type { VersionPool } from './version-pool.js';

/**
 * autocannon request sequences for the FHIR CRUD workloads. Bodies are serialised ahead of
 * time where possible so the load generator, which shares the machine, spends little CPU.
 */

/** `POST /fhir/Patient` cycling through `count` pre-generated Patients (seed differs from the preload). */
export function createWorkload(headers: Record<string, string>, count = 2000, seed = 7): autocannon.Request[] {
  const bodies = generatePatients(count, seed).map((p) => Buffer.from(JSON.stringify(p)));
  let i = 0;
  return [
    {
      method: 'POST',
      path: '/fhir/Patient',
      headers: { ...FHIR_JSON_HEADERS, ...headers },
      setupRequest: (req) => {
        req.body = bodies[i++ % bodies.length];
        return req;
      },
    },
  ];
}

/** `GET /fhir/Patient/{id}` on uniformly random ids from `ids`. */
export function readWorkload(headers: Record<string, string>, ids: readonly string[], seed = 11): autocannon.Request[] {
  const rng = new Rng(seed);
  return [
    {
      method: 'GET',
      path: '/fhir/Patient',
      headers: { Accept: 'application/fhir+json', ...headers },
      setupRequest: (req) => {
        req.path = `/fhir/Patient/${ids[Math.floor(rng.next() * ids.length)]}`;
        return req;
      },
    },
  ];
}

/**
 * `PUT /fhir/Patient/{id}` with `If-Match` on the current version. Each request changes the
 * phone number so the server cannot skip the write as a no-op; the new version is read from
 * the response ETag.
 */
export function updateWorkload(headers: Record<string, string>, pool: VersionPool, seed = 13): autocannon.Request[] {
  const rng = new Rng(seed);
  let counter = 0;
  return [
    {
      method: 'PUT',
      path: '/fhir/Patient',
      headers: { ...FHIR_JSON_HEADERS, ...headers },
      setupRequest: (req, context) => {
        const entry = pool.take(() => rng.next());
        if (!entry) throw new Error('update workload: no idle Patient id left in the pool');
        context.id = entry.id;
        context.version = entry.version;
        const n = counter++;
        const phone = `555-${String(Math.floor(n / 10000) % 1000).padStart(3, '0')}-${String(n % 10000).padStart(4, '0')}`;
        const body: fhir4.Patient = { ...entry.resource, telecom: [{ system: 'phone', value: phone, use: 'home' }] };
        req.path = `/fhir/Patient/${entry.id}`;
        req.headers = { ...req.headers, 'If-Match': `W/"${entry.version}"` };
        req.body = JSON.stringify(body);
        return req;
      },
      onResponse: (status, _body, context, resHeaders) => {
        const id = context.id;
        if (typeof id !== 'string') return;
        if (status >= 200 && status < 300) {
          const previous = typeof context.version === 'number' ? context.version : 0;
          pool.release(id, versionFromEtag(headerOf(resHeaders, 'ETag')) ?? previous + 1);
        } else {
          pool.drop(id);
        }
      },
    },
  ];
}
