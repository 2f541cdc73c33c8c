import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fhir } from '../support/test-app.js';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';
import type { ServerProcess } from '../support/server-process.js';

async function accepting(server: ServerProcess): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Splits a raw HTTP/1.1 response into head and body bytes. */
function split(raw: Buffer): { head: string; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  return { head: raw.subarray(0, end).toString('latin1'), body: raw.subarray(end + 4) };
}

test('a large response to a slow reader is written to the end after SIGTERM, and the process exits 0', { timeout: 120_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-flush-'));
  const server = await startServerProcess(dataDir, { VESTA_SQLITE_SYNC: 'NORMAL', VESTA_SHUTDOWN_GRACE: '30' });
  try {
    for (let i = 0; i < 12; i++) {
      const div = `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(1_000_000)}</div>`;
      const res = await fhir('POST', `${server.base}/Patient`, { body: { resourceType: 'Patient', text: { status: 'generated', div } } });
      assert.equal(res.status, 201);
    }
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const chunks: Buffer[] = [];
    const first = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.write('GET /fhir/Patient?_count=12 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n');
    await first;
    socket.pause(); // a slow reader: nothing more is read until after SIGTERM
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.resume();
    await ended;
    const { head, body } = split(Buffer.concat(chunks));
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
    assert.ok(length > 12_000_000, head);
    assert.equal(body.length, length, 'the whole body arrived');
    assert.equal(JSON.parse(body.toString('utf8')).entry.length, 12);
    const exit = await server.exited;
    assert.equal(exit.code, 0, server.output());
  } finally {
    await stopServerProcess(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a keep-alive request arriving just after SIGTERM is answered with Connection: close, not reset', { timeout: 60_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-keepalive-'));
  const server = await startServerProcess(dataDir, { VESTA_SQLITE_SYNC: 'NORMAL' });
  try {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!received.includes('"ok"')) await new Promise((r) => setTimeout(r, 10));
    received = '';
    server.child.kill('SIGTERM');
    while (await accepting(server)) await new Promise((r) => setTimeout(r, 10));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /fhir/metadata?_summary=true HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    assert.match(received, /^HTTP\/1\.1 200 /);
    assert.match(received, /connection: close/i);
    assert.equal((await server.exited).code, 0);
  } finally {
    await stopServerProcess(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
