/**
 * The five search workloads of the bench. Each draws fresh parameter values per request from a seeded stream
 * (so neither SQLite's page cache nor any response cache sees the same query twice in a row) and can predict,
 * from the generator alone, what a correct server must answer.
 */
import type { Rng } from '../lib/generate.js';
import {
  MED_REQUESTS_PER_PATIENT, MRN_SYSTEM, OBSERVATION_KINDS, OBSERVATIONS_PER_PATIENT,
  medicationRequestFacts, observationFacts, patientFamilies, patientId,
} from '../../src/sample/population.js';

/** What a correct response to one sampled request contains. */
export interface Expectation {
  /** Bundle.total: the number of matches. */
  total: number;
  /** Number of `search.mode = match` entries on the first page. */
  matches: number;
  /** Number of `search.mode = include` entries, when the query includes. */
  includes?: number;
  /** For sorted queries: match entries must be ordered by this (descending) per-resource key. */
  descendingBy?: (resource: Record<string, unknown>) => string;
}

/** One concrete request: path (with query) and a lazily computed expectation. */
export interface SampledRequest {
  path: string;
  expect(): Expectation;
}

/** A search workload: a name for tables and a sampler of concrete requests. */
export interface SearchQuery {
  name: string;
  /** True for queries scoped to one patient (the ones with the latency targets). */
  patientScoped: boolean;
  sample(rng: Rng): SampledRequest;
}

/** Population facts the queries draw values from. */
export interface PopulationView {
  seed: number;
  patients: number;
}

const DEFAULT_COUNT = 20;
const VITALS_SINCE = Date.UTC(2020, 0, 1);
const q = encodeURIComponent;

/** Normalizes like the string index for the ASCII names the generator uses (search.html#string: case-insensitive). */
const fold = (s: string): string => s.toLowerCase();

/** Builds the workloads for a population; `family` precomputes every patient's family names once. */
export function searchQueries(pop: PopulationView): SearchQuery[] {
  let families: string[][] | undefined;
  const allFamilies = (): string[][] => {
    families ??= Array.from({ length: pop.patients }, (_, i) => patientFamilies(pop.seed, i).map(fold));
    return families;
  };
  const patient = (rng: Rng): number => rng.int(0, pop.patients - 1);

  return [
    {
      name: 'Patient?family=<prefix>',
      patientScoped: false,
      sample: (rng) => {
        // A 3-5 letter prefix of a real patient's surname, as typed into a search box.
        const family = patientFamilies(pop.seed, patient(rng))[0]!;
        const prefix = family.slice(0, rng.int(3, 5));
        return {
          path: `/fhir/Patient?family=${q(prefix)}`,
          expect: () => {
            const p = fold(prefix);
            const total = allFamilies().filter((fs) => fs.some((f) => f.startsWith(p))).length;
            return { total, matches: Math.min(total, DEFAULT_COUNT) };
          },
        };
      },
    },
    {
      name: 'Patient?identifier=<system|value>',
      patientScoped: true,
      sample: (rng) => {
        const i = patient(rng);
        return { path: `/fhir/Patient?identifier=${q(`${MRN_SYSTEM}|${i}`)}`, expect: () => ({ total: 1, matches: 1 }) };
      },
    },
    {
      name: 'Observation?patient=<id>&code=<loinc>',
      patientScoped: true,
      sample: (rng) => {
        const i = patient(rng);
        const code = rng.pick(OBSERVATION_KINDS).code;
        return {
          path: `/fhir/Observation?patient=${q(patientId(i))}&code=${q(`http://loinc.org|${code}`)}`,
          expect: () => {
            let total = 0;
            for (let k = 0; k < OBSERVATIONS_PER_PATIENT; k++) if (observationFacts(pop.seed, i, k).code === code) total++;
            return { total, matches: Math.min(total, DEFAULT_COUNT) };
          },
        };
      },
    },
    {
      name: 'Observation?patient&category=vital-signs&date=ge2020&_sort=-date',
      patientScoped: true,
      sample: (rng) => {
        const i = patient(rng);
        return {
          path: `/fhir/Observation?patient=${q(patientId(i))}&category=vital-signs&date=ge2020-01-01&_sort=-date&_count=20`,
          expect: () => {
            let total = 0;
            for (let k = 0; k < OBSERVATIONS_PER_PATIENT; k++) {
              const f = observationFacts(pop.seed, i, k);
              if (f.category === 'vital-signs' && f.effective >= VITALS_SINCE) total++;
            }
            return {
              total, matches: Math.min(total, 20),
              descendingBy: (r) => String(r.effectiveDateTime ?? ''),
            };
          },
        };
      },
    },
    {
      name: 'MedicationRequest?patient&intent=order&_include=medication',
      patientScoped: true,
      sample: (rng) => {
        const i = patient(rng);
        return {
          path: `/fhir/MedicationRequest?patient=${q(patientId(i))}&intent=order&_include=MedicationRequest:medication`,
          expect: () => {
            const meds = new Set<number>();
            let total = 0;
            for (let k = 0; k < MED_REQUESTS_PER_PATIENT; k++) {
              const f = medicationRequestFacts(pop.seed, i, k);
              if (f.intent !== 'order') continue;
              total++;
              meds.add(f.medication);
            }
            return { total, matches: total, includes: meds.size };
          },
        };
      },
    },
  ];
}
