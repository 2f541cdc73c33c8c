import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';
import type { ServerProcess } from '../support/server-process.js';

/**
 * The operator CLI against a running server on the same data directory (`npx vesta token`, `keys`): what it signs,
 * the server accepts at once; what it revokes, the server refuses within a second; a rotation keeps tokens in use working.
 */

const execFileP = promisify(execFile);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'vesta.js');
let dir: string;
let server: ServerProcess;
let env: NodeJS.ProcessEnv;

async function vesta(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileP(process.execPath, [CLI, ...args], { env, timeout: 30_000 });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-cli-auth-'));
  server = await startServerProcess(dir, { VESTA_AUTH: 'builtin' });
  env = { PATH: process.env.PATH ?? '', VESTA_DATA_DIR: dir, VESTA_BASE_URL: server.base, LOG_LEVEL: 'error' };
});
after(async () => {
  await stopServerProcess(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = (token: string, p: string) => fetch(`${server.base}/${p}`, { headers: { Authorization: `Bearer ${token}` } });

describe('vesta token', () => {
  test('prints one JWT and nothing else on stdout; the running server accepts it', async () => {
    const { stdout } = await vesta('token', '--scopes', 'system/*.cruds');
    const lines = stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal((await get(lines[0]!, 'Patient')).status, 200);
  });

  test('--patient scopes the token to one patient; --expired gives a token the server refuses as expired', async () => {
    const { stdout } = await vesta('token', '--scopes', 'patient/*.rs', '--patient', 'p-1');
    const claims = JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.patient, 'p-1');
    assert.equal(claims.scope, 'patient/*.rs');
    const expired = (await vesta('token', '--scopes', 'user/*.rs', '--expired')).stdout.trim();
    const res = await get(expired, 'Patient');
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics, /expired/);
  });

  test('--json prints one JSON object; token revoke stops it at the server within a second', async () => {
    const issued = JSON.parse((await vesta('token', '--scopes', 'user/*.rs', '--json')).stdout) as { access_token: string; jti: string };
    assert.equal((await get(issued.access_token, 'Patient')).status, 200);
    const revoked = JSON.parse((await vesta('token', 'revoke', '--jti', issued.jti, '--json')).stdout) as { revoked: string };
    assert.equal(revoked.revoked, issued.jti);
    // Another process's revocation reaches the server's copy within a second.
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await get(issued.access_token, 'Patient')).status, 401);
  });

  test('a usage error exits 2 and names the option', async () => {
    await assert.rejects(vesta('token'), (e: { code?: number; stderr?: string }) => e.code === 2 && /--scopes/.test(e.stderr ?? ''));
  });
});

describe('vesta keys', () => {
  test('rotate makes new keys; tokens signed before keep working and new tokens work too', async () => {
    const before = (await vesta('token', '--scopes', 'user/*.rs')).stdout.trim();
    const rotated = JSON.parse((await vesta('keys', 'rotate', '--json')).stdout) as { rotated: { kid: string; alg: string }[] };
    assert.deepEqual(rotated.rotated.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    const list = JSON.parse((await vesta('keys', 'list', '--json')).stdout) as { keys: { kid: string; retiredAt?: string }[] };
    assert.ok(list.keys.some((k) => k.retiredAt !== undefined));
    assert.ok(rotated.rotated.every((r) => list.keys.some((k) => k.kid === r.kid && k.retiredAt === undefined)));
    assert.equal((await get(before, 'Patient')).status, 200);
    await new Promise((r) => setTimeout(r, 5100)); // the server reloads its key set at most every 5 s on an unknown kid
    const after = (await vesta('token', '--scopes', 'user/*.rs')).stdout.trim();
    assert.equal((await get(after, 'Patient')).status, 200);
  });

  test('no private key material reaches stdout', async () => {
    const { stdout } = await vesta('keys', 'list', '--json');
    assert.doesNotMatch(stdout, /"d"|"p"|"q"|PRIVATE|sealed/);
  });
});

describe('vesta --help', () => {
  test('lists every command', async () => {
    const { stdout } = await vesta('--help');
    for (const c of ['token', 'keys', 'reindex']) assert.match(stdout, new RegExp(`\\b${c}\\b`));
  });
});
