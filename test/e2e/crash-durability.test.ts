import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createValidator } from '../../src/validation/validator.js';
import { fhir } from '../support/test-app.js';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';
import type { ServerProcess } from '../support/server-process.js';

const CLIENTS = 8;
const IDENTIFIER_SYSTEM = 'urn:vesta:test:crash';

/** The content a client sent for one version; `null` for a deletion. */
type Content = Record<string, unknown> | null;

/** What one client knows about one of its Patients: every version the server acknowledged, by number. */
interface Tracked {
  id: string;
  serial: number;
  acked: Map<number, Content>;
  latest: number;
  deleted: boolean;
}

/** A write whose answer never arrived because the server died; it may or may not be stored. */
type InFlight =
  | { kind: 'create'; serial: number; body: Record<string, unknown> }
  | { kind: 'update'; id: string; body: Record<string, unknown> }
  | { kind: 'delete'; id: string };

interface ClientLog {
  patients: Map<string, Tracked>;
  inFlight?: InFlight;
  writes: number;
  /** Non-2xx answers while the server was alive: none are expected, each client owns its Patients. */
  refused: string[];
}

/** One Patient body per (client, patient, step), so every stored version can be traced to the write that made it. */
function patientBody(client: number, serial: number, step: number, id?: string): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    ...(id ? { id } : {}),
    identifier: [{ system: IDENTIFIER_SYSTEM, value: `c${client}-p${serial}` }],
    active: step % 2 === 0,
    name: [{ family: `Crash${client}`, given: [`P${serial}`, `step${step}`] }],
    birthDate: `19${String(10 + (step % 89)).padStart(2, '0')}-0${1 + (step % 9)}-1${step % 10}`,
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">client ${client} patient ${serial} step ${step}</div>` },
  };
}

/** A resource without id and meta, so what a client sent compares with what the server stamped and stored. */
function content(resource: Record<string, unknown>): Record<string, unknown> {
  const { meta: _m, id: _i, ...rest } = resource;
  return rest;
}

/** A deterministic pseudo-random sequence per client, so a failing run can be reasoned about. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

/** Creates, updates and occasionally deletes its own Patients until the server stops answering. */
async function runClient(server: ServerProcess, client: number, seed: number, log: ClientLog, deadline: number): Promise<void> {
  const random = rng(seed * 7919 + client);
  let serial = 0;
  const headers = { Prefer: 'return=representation' };
  while (Date.now() < deadline) {
    const mine = [...log.patients.values()];
    const roll = random();
    let op: InFlight;
    if (mine.length === 0 || roll < 0.3) {
      serial++;
      op = { kind: 'create', serial, body: patientBody(client, serial, 1) };
    } else {
      const p = mine[Math.floor(random() * mine.length)] as Tracked;
      op = roll > 0.95 && !p.deleted
        ? { kind: 'delete', id: p.id }
        : { kind: 'update', id: p.id, body: patientBody(client, p.serial, p.latest + 1, p.id) };
    }
    log.inFlight = op;
    let res;
    try {
      if (op.kind === 'create') res = await fhir('POST', `${server.base}/Patient`, { body: op.body, headers });
      else if (op.kind === 'update') res = await fhir('PUT', `${server.base}/Patient/${op.id}`, { body: op.body, headers });
      else res = await fhir('DELETE', `${server.base}/Patient/${op.id}`);
    } catch {
      return; // the server is gone: this write's outcome is unknown and stays in log.inFlight
    }
    log.inFlight = undefined;
    if (res.status >= 300) {
      log.refused.push(`${op.kind} answered ${res.status}: ${res.text.slice(0, 200)}`);
      continue;
    }
    log.writes++;
    const version = Number(/W\/"(\d+)"/.exec(res.headers.get('etag') ?? '')?.[1]);
    if (op.kind === 'create') {
      const stored = res.body as Record<string, unknown>;
      const id = String(stored.id);
      log.patients.set(id, { id, serial: op.serial, acked: new Map([[version, content(op.body)]]), latest: version, deleted: false });
    } else {
      const p = log.patients.get(op.id) as Tracked;
      p.acked.set(version, op.kind === 'update' ? content(op.body) : null);
      p.latest = version;
      p.deleted = op.kind === 'delete';
    }
  }
}

/** Every entry of a paged Bundle, following `next` links. */
async function allEntries(firstUrl: string): Promise<Record<string, unknown>[]> {
  const entries: Record<string, unknown>[] = [];
  let url: string | undefined = firstUrl;
  for (let pages = 0; url; pages++) {
    assert.ok(pages < 1000, 'paging does not end');
    const res = await fhir('GET', url);
    assert.equal(res.status, 200, `GET ${url}: ${res.text.slice(0, 300)}`);
    entries.push(...((res.body.entry ?? []) as Record<string, unknown>[]));
    url = (res.body.link as { relation: string; url: string }[] | undefined)?.find((l) => l.relation === 'next')?.url;
  }
  return entries;
}

/** One stored version as seen in history. */
interface SeenVersion {
  version: number;
  resource?: Record<string, unknown>;
}

/**
 * Writes with CLIENTS concurrent clients, SIGKILLs the server after `killAfterMs`, restarts it on the same
 * data directory and checks that every acknowledged write survived whole and nothing is half-written.
 */
async function crashAndRecover(
  t: { diagnostic(msg: string): void }, killAfterMs: number, sync: 'FULL' | 'NORMAL', seed: number, minAcked: number,
): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-crash-'));
  const env = { VESTA_SQLITE_SYNC: sync };
  let server = await startServerProcess(dataDir, env);
  try {
    const logs: ClientLog[] = Array.from({ length: CLIENTS }, () => ({ patients: new Map(), writes: 0, refused: [] }));
    const clients = logs.map((log, i) => runClient(server, i, seed, log, Date.now() + killAfterMs + 40_000));
    // Start the clock at the first acknowledged write, so the first request's one-off warm-up (schema
    // compilation) does not eat the writing time on a slow or busy machine.
    const firstAckDeadline = Date.now() + 30_000;
    while (logs.every((l) => l.writes === 0) && Date.now() < firstAckDeadline) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, killAfterMs));
    server.child.kill('SIGKILL');
    const exit = await server.exited;
    assert.equal(exit.signal, 'SIGKILL', 'the server should have been killed mid-stream, not have exited');
    await Promise.all(clients);

    const refused = logs.flatMap((l) => l.refused);
    assert.deepEqual(refused, [], 'no write should be refused while the server is alive');
    const acked = logs.reduce((n, l) => n + l.writes, 0);
    const ackedDeletes = logs.reduce((n, l) => n + [...l.patients.values()].reduce((m, p) => m + [...p.acked.values()].filter((c) => c === null).length, 0), 0);
    const unknown = logs.filter((l) => l.inFlight).length;
    assert.ok(acked >= minAcked, `only ${acked} writes were acknowledged before the kill; the test would prove little`);

    server = await startServerProcess(dataDir, env);

    // Everything the store holds, from type history (every version of every Patient).
    const versions = new Map<string, SeenVersion[]>();
    for (const e of await allEntries(`${server.base}/Patient/_history?_count=1000`)) {
      const id = String(/Patient\/([^/]+)$/.exec(String(e.fullUrl))?.[1]);
      const version = Number(/W\/"(\d+)"/.exec(String((e.response as { etag?: string }).etag))?.[1]);
      const list = versions.get(id) ?? [];
      list.push({ version, resource: e.resource as Record<string, unknown> | undefined });
      versions.set(id, list);
    }
    const validator = createValidator();
    const latestById = new Map<string, SeenVersion>();
    for (const [id, list] of versions) {
      const numbers = list.map((v) => v.version).sort((a, b) => a - b);
      assert.deepEqual(numbers, numbers.map((_, i) => i + 1), `Patient/${id} history versions are not 1..n: ${numbers.join(',')}`);
      for (const v of list) {
        if (!v.resource) continue;
        assert.equal(v.resource.id, id);
        assert.equal((v.resource.meta as { versionId?: string }).versionId, String(v.version));
        const errors = validator.validate(v.resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
        assert.deepEqual(errors, [], `Patient/${id} version ${v.version} is not valid`);
      }
      latestById.set(id, list.reduce((a, b) => (b.version > a.version ? b : a)));
    }

    // The current rows agree with history: each read equals the newest history entry, and instance history matches.
    const live = await allEntries(`${server.base}/Patient?_count=1000`);
    const liveIds = new Set(live.map((e) => String((e.resource as { id: string }).id)));
    for (const [id, latest] of latestById) {
      const read = await fhir('GET', `${server.base}/Patient/${id}`);
      if (latest.resource) {
        assert.equal(read.status, 200, `Patient/${id}: ${read.text.slice(0, 200)}`);
        assert.deepEqual(read.body, latest.resource, `Patient/${id}: the current version differs from its latest history entry`);
        assert.ok(liveIds.has(id), `Patient/${id} is readable but not found by search`);
      } else {
        assert.equal(read.status, 410, `Patient/${id} is deleted in history but reads as ${read.status}`);
        assert.ok(!liveIds.has(id), `deleted Patient/${id} is still found by search`);
      }
      const own = await allEntries(`${server.base}/Patient/${id}/_history?_count=1000`);
      assert.equal(own.length, versions.get(id)?.length, `Patient/${id} instance history and type history disagree`);
    }
    for (const id of liveIds) assert.ok(latestById.has(id), `search finds Patient/${id}, which has no history`);

    // Every acknowledged write is there with at least its version; a newer version can only be the lost answer.
    const inFlight = logs.map((l) => l.inFlight).filter((f): f is InFlight => f !== undefined);
    let recoveredUnacked = 0;
    for (const log of logs) {
      for (const p of log.patients.values()) {
        const list = versions.get(p.id);
        assert.ok(list, `acknowledged Patient/${p.id} is missing after the crash`);
        for (const [version, sent] of p.acked) {
          const seen: SeenVersion | undefined = list.find((v) => v.version === version);
          assert.ok(seen, `acknowledged version ${version} of Patient/${p.id} is missing after the crash`);
          if (sent === null) assert.equal(seen.resource, undefined, `acknowledged deletion ${version} of Patient/${p.id} is not a deletion`);
          else assert.deepEqual(content(seen.resource ?? {}), sent, `Patient/${p.id} version ${version} differs from what was acknowledged`);
        }
        const newest = latestById.get(p.id) as SeenVersion;
        if (newest.version === p.latest) continue;
        assert.equal(newest.version, p.latest + 1, `Patient/${p.id} has versions beyond any write sent (${newest.version} > ${p.latest})`);
        const pending = log.inFlight;
        assert.ok(pending && pending.kind !== 'create' && pending.id === p.id, `Patient/${p.id} version ${newest.version} was never written by a client`);
        if (pending.kind === 'delete') assert.equal(newest.resource, undefined);
        else assert.deepEqual(content(newest.resource ?? {}), content(pending.body));
        recoveredUnacked++;
      }
    }
    // Patients no client heard of can only be creates whose 201 was lost in the kill, stored whole as version 1.
    const knownIds = new Set(logs.flatMap((l) => [...l.patients.keys()]));
    for (const [id, list] of versions) {
      if (knownIds.has(id)) continue;
      assert.deepEqual(list.map((v) => v.version), [1], `unacknowledged Patient/${id} has more than one version`);
      const stored = content(list[0]?.resource ?? {});
      const match = inFlight.find((f) => f.kind === 'create' && JSON.stringify(content(f.body)) === JSON.stringify(stored));
      assert.ok(match, `Patient/${id} was stored but matches no write a client sent: ${JSON.stringify(stored).slice(0, 200)}`);
      recoveredUnacked++;
    }

    // The restarted server serves normally: create, update, read, search, delete.
    const created = await fhir('POST', `${server.base}/Patient`, { body: patientBody(99, 1, 1), headers: { Prefer: 'return=representation' } });
    assert.equal(created.status, 201, created.text);
    const newId = String(created.body.id);
    const updated = await fhir('PUT', `${server.base}/Patient/${newId}`, { body: patientBody(99, 1, 2, newId) });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.headers.get('etag'), 'W/"2"');
    const survivor = [...latestById].find(([, v]) => v.resource)?.[0];
    if (survivor) {
      const cont = await fhir('PUT', `${server.base}/Patient/${survivor}`, { body: { ...(latestById.get(survivor)?.resource ?? {}), active: false } });
      assert.equal(cont.status, 200, cont.text);
      assert.equal(cont.headers.get('etag'), `W/"${(latestById.get(survivor)?.version ?? 0) + 1}"`);
    }
    const found = await fhir('GET', `${server.base}/Patient?identifier=${encodeURIComponent(`${IDENTIFIER_SYSTEM}|c99-p1`)}`);
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id), [newId]);
    assert.equal((await fhir('DELETE', `${server.base}/Patient/${newId}`)).status < 300, true);
    assert.equal((await fhir('GET', `${server.base}/Patient/${newId}`)).status, 410);

    const summary = `killed ${killAfterMs} ms after the first acknowledged write (synchronous=${sync}): ${acked} acknowledged writes on ` +
      `${knownIds.size} Patients (${ackedDeletes} deletions) all recovered; ${unknown} writes in flight, ${recoveredUnacked} of them found stored whole; ` +
      `${versions.size} Patients and ${[...versions.values()].reduce((n, l) => n + l.length, 0)} versions checked`;
    t.diagnostic(summary);
    const stopped = await stopServerProcess(server);
    assert.equal(stopped.code, 0, `the restarted server did not stop cleanly:\n${server.output()}`);
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

test('acknowledged writes survive a kill -9 two seconds into eight clients writing with synchronous=FULL', { timeout: 120_000 }, async (t) => {
  await crashAndRecover(t, 2000, 'FULL', 1, 20);
});

test('acknowledged writes survive a kill -9 1.3 seconds into writing with synchronous=NORMAL', { timeout: 120_000 }, async (t) => {
  await crashAndRecover(t, 1300, 'NORMAL', 2, 20);
});

test('acknowledged writes survive a kill -9 a fraction of a second into writing', { timeout: 120_000 }, async (t) => {
  await crashAndRecover(t, 170, 'FULL', 3, 1);
});
