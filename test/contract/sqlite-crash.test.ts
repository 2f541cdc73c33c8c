import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sqlite-crash-child.js');

it('keeps every write acknowledged before the process was killed with SIGKILL', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-sqlite-crash-'));
  try {
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      proc.on('error', reject);
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        acked.push(...lines);
        if (acked.length >= 200 && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
      });
      proc.on('exit', () => resolve());
    });
    assert.ok(acked.length >= 200, `the child acknowledged ${acked.length} writes`);
    const store = SqliteStore.open({ dataDir: dir });
    try {
      const found = await Promise.all(acked.map((id) => store.read('Patient', id)));
      assert.equal(found.filter((v) => v !== undefined).length, acked.length);
      const last = acked[acked.length - 1]!;
      const page = await store.search({
        types: ['Patient'], sort: [], count: 1, total: 'none',
        where: { kind: 'token', param: { code: 'identifier', type: 'token' }, system: 'urn:test', code: last },
      });
      assert.equal(page.items[0]?.id, last);
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
