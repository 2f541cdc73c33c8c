/** Small valid resources of a few types, used by the HTTP tests to show every type is routed the same way. */
export const SAMPLES: Record<string, Record<string, unknown>> = {
  Patient: { resourceType: 'Patient', name: [{ family: 'Rivera', given: ['Ana'] }], gender: 'female', birthDate: '1980-02-03' },
  Observation: {
    resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }], text: 'Heart rate' },
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  },
  MedicationRequest: {
    resourceType: 'MedicationRequest', status: 'active', intent: 'order',
    medicationCodeableConcept: { text: 'Aspirin 100 mg' }, subject: { reference: 'Patient/example' },
  },
  Substance: { resourceType: 'Substance', code: { text: 'Sodium chloride' } },
};

/** The types the CRUD tests loop over: three common ones and one rarely used. */
export const SAMPLE_TYPES = Object.keys(SAMPLES);

/** A copy of the sample of `type`, with extra fields merged in. */
export const sample = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ ...structuredClone(SAMPLES[type]), ...extra });

/** A settable clock so history tests can place versions at chosen instants. */
export class ManualClock {
  constructor(private t = Date.parse('2024-03-01T10:00:00.000Z')) {}
  readonly now = (): Date => new Date(this.t);
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
