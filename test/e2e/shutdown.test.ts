import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fhir } from '../support/test-app.js';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';
import type { ServerProcess } from '../support/server-process.js';

/** A POST whose headers have reached the server but whose body is held back until `finish()`. */
interface HeldRequest {
  /** Resolves once the server answered `100 Continue`, i.e. it has parsed the headers and dispatched the request. */
  dispatched: Promise<void>;
  finish(): void;
  response: Promise<{ status: number; text: string }>;
}

/**
 * Starts a POST with `Expect: 100-continue` on a keep-alive connection, so the test knows the request is in
 * flight on the server before it sends a signal, and a real client's idle connection stays open afterwards.
 */
function heldPost(server: ServerProcess, agent: http.Agent, urlPath: string, body: string): HeldRequest {
  const req = http.request({
    host: '127.0.0.1', port: server.port, path: urlPath, method: 'POST', agent,
    headers: {
      'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue',
      Prefer: 'return=representation',
    },
  });
  const dispatched = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  return { dispatched, response, finish: () => req.end(body) };
}

function bigPatient(n: number, narrativeBytes: number): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:vesta:test:shutdown', value: `held-${n}` }],
    name: [{ family: 'Shutdown', given: [`Held${n}`] }],
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(narrativeBytes)}</div>` },
  };
}

async function canConnect(server: ServerProcess): Promise<boolean> {
  try {
    const res = await fetch(`${server.root}/healthz`, { headers: { Connection: 'close' } });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Waits until the server refuses new connections, i.e. it has handled the signal and closed its listener. */
async function waitForListenerClosed(server: ServerProcess): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (!(await canConnect(server))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('the server kept accepting new connections after the signal');
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-shutdown-'));
}

test('SIGTERM lets in-flight writes finish with 2xx, exits 0 and leaves every write readable after restart', { timeout: 120_000 }, async (t) => {
  const dataDir = tempDir();
  // A long grace period, so a prompt exit shows the server ends when the work ends rather than at the deadline.
  const env = { VESTA_SHUTDOWN_GRACE: '30' };
  let server = await startServerProcess(dataDir, env);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const before: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fhir('POST', `${server.base}/Patient`, { body: { resourceType: 'Patient', name: [{ family: `Before${i}` }] } });
      assert.equal(res.status, 201, res.text);
      before.push(String(/Patient\/([^/]+)\//.exec(res.headers.get('location') ?? '')?.[1]));
    }
    // One large write (about 4 MB) and several small ones are held open across the signal.
    const bodies = [bigPatient(0, 4 * 1024 * 1024), ...Array.from({ length: 7 }, (_, i) => bigPatient(i + 1, 100))];
    const held = bodies.map((b) => heldPost(server, agent, '/fhir/Patient', JSON.stringify(b)));
    await Promise.all(held.map((h) => h.dispatched));

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    // The listener closes at once: new connections are refused while in-flight requests continue.
    await waitForListenerClosed(server);
    assert.equal(server.child.exitCode, null, 'the server exited with requests still in flight');

    for (const h of held) h.finish();
    const answers = await Promise.all(held.map((h) => h.response));
    for (const a of answers) assert.equal(a.status, 201, `an in-flight write failed during shutdown: ${a.text.slice(0, 300)}`);
    const heldIds = answers.map((a) => String((JSON.parse(a.text) as { id: string }).id));

    const exit = await server.exited;
    const seconds = (Date.now() - signalledAt) / 1000;
    assert.deepEqual(exit, { code: 0, signal: null }, `unclean exit:\n${server.output()}`);
    assert.ok(seconds < 10, `the server took ${seconds.toFixed(1)} s to exit after its last request (grace is 30 s)`);
    t.diagnostic(`exited 0 ${seconds.toFixed(2)} s after SIGTERM with ${held.length} held writes answered 201`);

    server = await startServerProcess(dataDir, env);
    for (const id of before) {
      const res = await fhir('GET', `${server.base}/Patient/${id}`);
      assert.equal(res.status, 200, `Patient/${id} written before the shutdown is missing: ${res.text.slice(0, 200)}`);
    }
    for (const [i, id] of heldIds.entries()) {
      const res = await fhir('GET', `${server.base}/Patient/${id}`);
      assert.equal(res.status, 200, `Patient/${id} written during the shutdown is missing`);
      const { meta: _m, id: _i, ...stored } = res.body as Record<string, unknown>;
      assert.deepEqual(stored, bodies[i]);
      const hist = await fhir('GET', `${server.base}/Patient/${id}/_history`);
      assert.equal(hist.body.entry.length, 1);
    }
    const all = await fhir('GET', `${server.base}/Patient?_summary=count`);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.total, before.length + held.length);
    const stopped = await stopServerProcess(server);
    assert.equal(stopped.code, 0);
  } finally {
    agent.destroy();
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a burst of requests in flight at SIGTERM all complete before the process exits 0', { timeout: 120_000 }, async () => {
  const dataDir = tempDir();
  let server = await startServerProcess(dataDir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  try {
    const held = Array.from({ length: 24 }, (_, i) => heldPost(server, agent, '/fhir/Patient', JSON.stringify(bigPatient(100 + i, 2000))));
    await Promise.all(held.map((h) => h.dispatched));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await waitForListenerClosed(server);
    // Release the bodies one after another while the server is already shutting down.
    for (const h of held) {
      h.finish();
      await new Promise((r) => setTimeout(r, 10));
    }
    const answers = await Promise.all(held.map((h) => h.response));
    assert.deepEqual(answers.map((a) => a.status), held.map(() => 201));
    assert.deepEqual(await server.exited, { code: 0, signal: null }, server.output());
    // The default grace period is 10 s; keep-alive connections must not hold the process until then.
    assert.ok(Date.now() - signalledAt < 8000, `exit came ${Date.now() - signalledAt} ms after SIGTERM`);

    server = await startServerProcess(dataDir);
    const count = await fhir('GET', `${server.base}/Patient?_summary=count`);
    assert.equal(count.body.total, held.length);
    assert.equal((await stopServerProcess(server)).code, 0);
  } finally {
    agent.destroy();
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a request still unfinished when the grace period ends is cut off and the process still exits 0', { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  const env = { VESTA_SHUTDOWN_GRACE: '1' };
  let server = await startServerProcess(dataDir, env);
  const agent = new http.Agent({ keepAlive: true });
  try {
    const kept = await fhir('POST', `${server.base}/Patient`, { body: { resourceType: 'Patient', active: true } });
    assert.equal(kept.status, 201);
    const stuck = heldPost(server, agent, '/fhir/Patient', JSON.stringify(bigPatient(1, 10)));
    await stuck.dispatched;
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    // The body is never sent: the server must not wait for it beyond the grace period.
    await assert.rejects(stuck.response);
    assert.deepEqual(await server.exited, { code: 0, signal: null }, server.output());
    const seconds = (Date.now() - signalledAt) / 1000;
    assert.ok(seconds >= 0.9 && seconds < 6, `exit came ${seconds.toFixed(1)} s after SIGTERM with a 1 s grace period`);

    server = await startServerProcess(dataDir, env);
    const count = await fhir('GET', `${server.base}/Patient?_summary=count`);
    assert.equal(count.body.total, 1, 'the cut-off write must not be stored');
    const keptId = /Patient\/([^/]+)\//.exec(kept.headers.get('location') ?? '')?.[1];
    assert.equal((await fhir('GET', `${server.base}/Patient/${keptId}`)).status, 200);
  } finally {
    agent.destroy();
    await stopServerProcess(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('SIGINT stops an idle server with exit code 0', { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  const server = await startServerProcess(dataDir);
  try {
    // A keep-alive connection left idle must not hold the process open.
    const res = await fhir('GET', `${server.base}/metadata`);
    assert.equal(res.status, 200);
    const signalledAt = Date.now();
    server.child.kill('SIGINT');
    assert.deepEqual(await server.exited, { code: 0, signal: null }, server.output());
    assert.ok(Date.now() - signalledAt < 5000, 'an idle server should stop at once');
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
