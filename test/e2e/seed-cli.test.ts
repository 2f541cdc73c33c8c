import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createValidator } from '../../src/validation/validator.js';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';
import type { ServerProcess } from '../support/server-process.js';

/**
 * `vesta seed` beside a running server (issue 10, item 14): the CLI writes into the same data directory while the
 * server runs (its own process, authorization on), and the server finds what it wrote over HTTP at once.
 */

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'vesta.js');
let dataDir: string;
let srv: ServerProcess;
let auth: Record<string, string>;

interface Resource { resourceType: string; id: string; [key: string]: unknown }
interface SearchSet { resourceType: 'Bundle'; total?: number; entry?: { resource: Resource }[] }

async function vesta(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', VESTA_DATA_DIR: dataDir, VESTA_BASE_URL: srv.base, HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function search(query: string): Promise<Resource[]> {
  const res = await fetch(`${srv.base}/${query}`, { headers: { ...auth, accept: 'application/fhir+json' } });
  const body = (await res.json()) as SearchSet;
  assert.equal(res.status, 200, JSON.stringify(body));
  return (body.entry ?? []).map((e) => e.resource);
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-seed-'));
  // Authorization on, as a new user runs it: the token comes from the CLI too.
  srv = await startServerProcess(dataDir, { VESTA_AUTH: 'builtin' });
  const token = await vesta('token', '--scopes', 'user/*.rs');
  assert.equal(token.code, 0, token.stderr);
  auth = { authorization: `Bearer ${token.stdout.trim()}` };
});
after(async () => {
  if (srv) await stopServerProcess(srv);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('vesta --help lists seed', async () => {
  const { code, stdout } = await vesta('--help');
  assert.equal(code, 0);
  assert.match(stdout, /^\s+seed\s+Load generated sample patients/m);
});

test('seed without --patients is a usage error (exit 2)', async () => {
  const { code, stderr } = await vesta('seed', '--seed', '1');
  assert.equal(code, 2);
  assert.match(stderr, /--patients is required/);
});

test('seed loads patients the running server finds at once, with linked, valid records', async () => {
  assert.equal((await search('Patient?_count=50')).length, 0, 'the server starts empty');
  const run = await vesta('seed', '--patients', '3', '--seed', '1', '--json');
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout) as { patients: number; resources: number; firstPatient: string };
  assert.equal(summary.patients, 3);
  assert.equal(summary.firstPatient, 's1-pat-0');

  const patients = await search('Patient?_count=50&_sort=_id');
  assert.deepEqual(patients.map((p) => p.id), ['s1-pat-0', 's1-pat-1', 's1-pat-2']);
  const read = await fetch(`${srv.base}/Patient/s1-pat-1`, { headers: auth });
  assert.equal(read.status, 200);
  await read.arrayBuffer();

  const validator = createValidator();
  const encounters = new Set((await search('Encounter?_count=100')).map((e) => `Encounter/${e.id}`));
  assert.equal(encounters.size, 15);
  let resources = patients.length + encounters.size;
  for (const p of patients) {
    const observations = await search(`Observation?patient=${p.id}&_count=100`);
    assert.equal(observations.length, 20, `Observations of ${p.id}`);
    const vitals = await search(`Observation?patient=${p.id}&category=vital-signs&_count=100`);
    const labs = await search(`Observation?patient=${p.id}&category=laboratory&_count=100`);
    assert.equal(vitals.length + labs.length, 20);
    const conditions = await search(`Condition?patient=${p.id}`);
    const requests = await search(`MedicationRequest?patient=${p.id}&_include=MedicationRequest:medication`);
    assert.ok(conditions.length >= 1);
    const record = [p, ...observations, ...conditions, ...requests];
    resources += observations.length + conditions.length + requests.filter((r) => r.resourceType === 'MedicationRequest').length;
    for (const r of record) {
      const errors = validator.validate(r).filter((i) => i.severity === 'error' || i.severity === 'fatal');
      assert.deepEqual(errors, [], `${r.resourceType}/${r.id} validates`);
      if (r.resourceType === 'Patient' || r.resourceType === 'Medication') continue;
      assert.deepEqual(r.subject, { reference: `Patient/${p.id}` }, `${r.resourceType}/${r.id} is about its patient`);
      const encounter = (r.encounter as { reference: string }).reference;
      assert.ok(encounters.has(encounter), `${r.resourceType}/${r.id} refers to a stored ${encounter}`);
    }
    for (const o of observations) {
      const coding = (o.code as { coding: { system: string }[] }).coding[0]!;
      assert.equal(coding.system, 'http://loinc.org');
      const quantities = o.valueQuantity ? [o.valueQuantity] : (o.component as { valueQuantity: unknown }[]).map((c) => c.valueQuantity);
      for (const q of quantities as { system: string; code: string }[]) assert.equal(q.system, 'http://unitsofmeasure.org');
    }
    const medications = requests.filter((r) => r.resourceType === 'Medication');
    assert.ok(medications.length >= 1, 'the prescribed Medications are stored and included');
  }
  const medicationCount = (await search('Medication?_count=200')).length;
  assert.equal(resources + medicationCount, summary.resources, 'every resource the CLI wrote is searchable');

  // The same seed again writes the same ids (new versions), not a second population.
  const again = await vesta('seed', '--patients', '3', '--seed', '1', '--json');
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await search('Patient?_count=50')).length, 3);
  const history = await fetch(`${srv.base}/Patient/s1-pat-0/_history`, { headers: auth });
  assert.equal(((await history.json()) as SearchSet).total, 2);
});

test('seeding is recorded in the audit trail under the CLI client', async () => {
  const token = await vesta('token', '--scopes', 'system/AuditEvent.rs', '--patient', '');
  assert.equal(token.code, 0, token.stderr);
  const res = await fetch(`${srv.base}/AuditEvent?entity=Patient/s1-pat-2&_count=50`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
  const body = (await res.json()) as SearchSet;
  assert.equal(res.status, 200, JSON.stringify(body));
  const events = (body.entry ?? []).map((e) => e.resource);
  const writes = events.filter((e) => (e.subtype as { code: string }[]).some((s) => s.code === 'update'));
  assert.ok(writes.length >= 1, 'the Patient\'s write is audited');
  const agents = JSON.stringify(writes[0]!.agent);
  assert.match(agents, /vesta-cli/);
});
