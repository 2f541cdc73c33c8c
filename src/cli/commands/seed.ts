/// <reference types="fhir" />
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createApp } from '../../app.js';
import type { VestaApp } from '../../app.js';
import { FhirError } from '../../fhir/outcome.js';
import { runInteraction } from '../../interactions/pipeline.js';
import { createLogger } from '../../logging/logger.js';
import { ENCOUNTERS_PER_PATIENT, medicationsOf, patientRecord, transactionOf } from '../../sample/patient-record.js';
import { patientId } from '../../sample/population.js';
import { openStore } from '../../store/factory.js';
import type { FhirResult } from '../../vocabulary/fhir-request.js';
import type { AuthContext } from '../../vocabulary/access.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { OPERATOR_CLIENT } from './token.js';

const USAGE = `Usage: vesta seed --patients N [--seed S] [--json]

Loads N generated patients, each with ${ENCOUNTERS_PER_PATIENT} Encounters, Observations (vital signs and laboratory results,
LOINC codes, UCUM quantities), Conditions (SNOMED CT) and MedicationRequests (RxNorm Medications), linked by reference.
The same --seed (default 1) gives the same resources and ids (s<S>-pat-0, s<S>-obs-0-0, ...); writing them again makes
new versions. Each patient is one transaction (a batch on a MongoDB without transactions), validated, indexed and audited as the
server does it (client
${OPERATOR_CLIENT}). Safe while the server runs on the same data; it sees the new resources at once.`;

/** Most patients one run may load (a sample, not a bulk import: `--patients 1000` takes a minute or so). */
const MAX_PATIENTS = 100_000;

/** The operator writing the sample: a backend-style principal with every permission, as the audit trail names it. */
const OPERATOR: AuthContext = Object.freeze({
  anonymous: false, subject: OPERATOR_CLIENT, clientId: OPERATOR_CLIENT,
  grants: Object.freeze([{ context: 'system' as const, resourceType: '*', permissions: 'cruds' }]),
});

function wholeNumber(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Runs one Bundle through the same pipeline as `POST /fhir` (access decision, validation, indexes, audit): a
 * transaction where the store has them, else a batch (MongoDB without a replica set), whose every entry must succeed.
 */
async function write(app: VestaApp, resources: readonly fhir4.Resource[], baseUrl: string, log: ReturnType<typeof createLogger>): Promise<void> {
  const atomic = app.deps.store.capabilities.transactions;
  const kind = atomic ? 'transaction' : 'batch';
  // The dispatcher routes both Bundle types to the `transaction` row and names the interaction by the Bundle's type.
  const spec = app.deps.table.find((s) => s.name === 'transaction');
  if (!spec) throw new Error('the interaction table has no transaction row');
  const bundle = { ...transactionOf(resources, baseUrl), type: kind };
  let result: FhirResult;
  try {
    result = await runInteraction(spec, {
      requestId: randomUUID(), interaction: kind, method: 'POST', query: [],
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
      body: bundle, auth: OPERATOR, client: { userAgent: 'vesta seed' }, baseUrl, log,
    }, app.deps, app.deps.hooks);
  } catch (e) {
    // The OperationOutcome's text says what was refused (validation, storage full); it carries no resource content.
    if (e instanceof FhirError) throw new Error(`the server refused the data (${e.status}): ${e.outcome.issue.map((i) => i.diagnostics ?? i.code).join('; ')}`);
    throw e;
  }
  if (atomic) return;
  const response = (result.bodyText !== undefined ? JSON.parse(result.bodyText) : result.body) as { entry?: { response?: { status?: string } }[] };
  const failed = (response.entry ?? []).map((e) => e.response?.status ?? '').filter((status) => !status.startsWith('2'));
  if (failed.length > 0) throw new Error(`${failed.length} of ${resources.length} entries were refused (${[...new Set(failed)].join(', ')})`);
}

/** `vesta seed`: loads a generated, realistic, deterministic population so a new server has data to search. */
export const seedCommand: Command = {
  name: 'seed',
  summary: 'Load generated sample patients with Encounters, Observations, Conditions and MedicationRequests',
  usage: USAGE,
  async run(args, ctx) {
    const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { patients: { type: 'string' }, seed: { type: 'string' } } });
    if (values.patients === undefined) throw new UsageError('--patients is required, e.g. --patients 20');
    const patients = wholeNumber(values.patients, '--patients', 0, 1, MAX_PATIENTS);
    const seed = wholeNumber(values.seed, '--seed', 1, 0, 2 ** 31 - 1);
    const ns = `s${seed}-`;
    const { config } = ctx;
    // Warnings and errors go to stderr (winston's console), so --json keeps stdout to one object.
    const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const { store, authState, auditTrail } = await openStore(config, 'tool');
    try {
      const app = createApp({ config, store, authState, auditTrail, log });
      await app.ready;
      const started = Date.now();
      let resources = 0;
      const medications = medicationsOf(seed, patients);
      await write(app, medications, config.baseUrl, log);
      resources += medications.length;
      for (let i = 0; i < patients; i++) {
        const record = patientRecord(seed, i, ns);
        await write(app, record, config.baseUrl, log);
        resources += record.length;
        if (!ctx.json && process.stderr.isTTY) process.stderr.write(`\rseeded ${i + 1} of ${patients} patients`);
      }
      const seconds = (Date.now() - started) / 1000;
      const first = patientId(0, ns);
      const last = patientId(patients - 1, ns);
      if (ctx.json) ctx.out(JSON.stringify({ patients, resources, seed, firstPatient: first, lastPatient: last, seconds }));
      else ctx.out(`${process.stderr.isTTY ? '\r' : ''}seeded ${patients} patients (${resources} resources, Patient/${first} to Patient/${last}) in ${seconds.toFixed(1)} s`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
