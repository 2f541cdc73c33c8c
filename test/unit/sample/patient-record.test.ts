/// <reference types="fhir" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { medicationsOf, patientRecord, transactionOf } from '../../../src/sample/patient-record.js';
import { createValidator } from '../../../src/validation/validator.js';

/** The sample generator behind `vesta seed` (issue 10, item 14): deterministic, valid, linked. */

test('the same seed gives the same record; another seed gives another', () => {
  assert.deepEqual(patientRecord(1, 0, 's1-'), patientRecord(1, 0, 's1-'));
  assert.notDeepEqual(patientRecord(2, 0, 's2-').map((r) => ({ ...r, id: '' })), patientRecord(1, 0, 's1-').map((r) => ({ ...r, id: '' })));
});

test('every resource of a record validates against R4, and every reference points into the record or the formulary', () => {
  const validator = createValidator();
  const records = [0, 1, 2, 3, 4].map((i) => patientRecord(7, i, 's7-'));
  const formulary = medicationsOf(7, records.length);
  const ids = new Set([...records.flat(), ...formulary].map((r) => `${r.resourceType}/${r.id!}`));
  for (const r of [...records.flat(), ...formulary]) {
    const errors = validator.validate(r as unknown as Record<string, unknown>).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    assert.deepEqual(errors, [], `${r.resourceType}/${r.id!}`);
    for (const ref of JSON.stringify(r).matchAll(/"reference":"([^"]+)"/g)) assert.ok(ids.has(ref[1]!), `${r.resourceType}/${r.id!} -> ${ref[1]}`);
  }
  const kinds = new Set(records[0]!.map((r) => r.resourceType));
  assert.deepEqual([...kinds].sort(), ['Condition', 'Encounter', 'MedicationRequest', 'Observation', 'Patient']);
});

test('Observations happen during their Encounter', () => {
  const record = patientRecord(3, 1, '');
  const encounters = new Map(record.filter((r) => r.resourceType === 'Encounter').map((e) => [`Encounter/${e.id!}`, e as fhir4.Encounter]));
  for (const o of record.filter((r): r is fhir4.Observation => r.resourceType === 'Observation')) {
    const period = encounters.get(o.encounter!.reference!)!.period!;
    const at = Date.parse(o.effectiveDateTime!);
    assert.ok(at >= Date.parse(period.start!) && at <= Date.parse(period.end!), `${o.id!} at ${o.effectiveDateTime!} in ${period.start!}..${period.end!}`);
  }
});

test('a transaction writes each resource under its own id', () => {
  const bundle = transactionOf(patientRecord(1, 0, 's1-').slice(0, 2), 'http://x/fhir');
  assert.equal(bundle.type, 'transaction');
  assert.deepEqual(bundle.entry!.map((e) => e.request), [{ method: 'PUT', url: 'Patient/s1-pat-0' }, { method: 'PUT', url: 'Encounter/s1-enc-0-0' }]);
});
