import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REDIRECT, authorize, pkce, tokenRequest } from '../support/authz.js';
import { startServerProcess, stopServerProcess } from '../support/server-process.js';
import type { ServerProcess } from '../support/server-process.js';
import { SQLITE_ONLY } from '../support/test-store.js';

/**
 * The administration CLI of the authorization server against a running server on the same data (issue 12 item 8):
 * `vesta user`, `vesta client`, `vesta launch`, each with `--json` printing exactly one JSON object; then an EHR
 * launch with what the CLI created.
 */

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'vesta.js');
let dir: string;
let server: ServerProcess;
let env: NodeJS.ProcessEnv;

function vesta(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Runs a `--json` command and returns its one JSON object (asserting stdout holds exactly that). */
async function json(args: string[], stdin = ''): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await vesta([...args, '--json'], stdin);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.stdout);
  return JSON.parse(lines[0]!);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-cli-authz-'));
  server = await startServerProcess(dir, { VESTA_AUTH: 'builtin', LOG_LEVEL: 'warn' });
  env = { PATH: process.env.PATH ?? '', VESTA_DATA_DIR: dir, VESTA_BASE_URL: server.base, LOG_LEVEL: 'error' };
});
after(async () => {
  // When the server stopped early, what it printed explains why.
  if (server.child.exitCode !== null || server.child.signalCode !== null) process.stderr.write(`server exited early (code ${server.child.exitCode}, signal ${server.child.signalCode}):\n${server.output()}\n`);
  await stopServerProcess(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('vesta user, client and launch', () => {
  test('user add takes the password from stdin; list shows users without hashes; disable stops logins', async () => {
    const added = await json(['user', 'add', 'alice', '--fhir-user', 'Practitioner/alice-1'], 'alice password 1\n');
    assert.deepEqual(added, { username: 'alice', fhirUser: 'Practitioner/alice-1' });
    const listed = await json(['user', 'list']);
    assert.equal(listed.users.length, 1);
    assert.doesNotMatch(JSON.stringify(listed), /scrypt|alice password/);
    const short = await vesta(['user', 'add', 'bob'], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /at least 8/);
    assert.deepEqual(await json(['user', 'disable', 'alice']), { username: 'alice', disabled: true });
    assert.deepEqual(await json(['user', 'enable', 'alice']), { username: 'alice', disabled: false });
    assert.deepEqual(await json(['user', 'passwd', 'alice'], 'alice password 2\n'), { username: 'alice', passwordChanged: true });
  });

  test('client add prints the id (and a confidential client\'s secret once); list never shows secrets; remove', async () => {
    const conf = await json(['client', 'add', '--type', 'confidential', '--name', 'Chart', '--scopes', 'patient/*.rs', '--redirect-uri', REDIRECT]);
    assert.ok(typeof conf.client_id === 'string' && typeof conf.client_secret === 'string');
    const listed = await json(['client', 'list']);
    assert.ok(listed.clients.some((c: { client_id: string }) => c.client_id === conf.client_id));
    assert.doesNotMatch(JSON.stringify(listed), new RegExp(conf.client_secret));
    const bad = await vesta(['client', 'add', '--type', 'public', '--name', 'X', '--scopes', 'patient/*.rs', '--redirect-uri', 'http://example.com/cb']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /https/);
    assert.deepEqual(await json(['client', 'remove', conf.client_id]), { client_id: conf.client_id, removed: true });
  });

  // The CLI child opens the store from its environment, which names the server's SQLite data directory only.
  test('an EHR launch with a CLI-made user, client and launch context works against the running server', { skip: SQLITE_ONLY }, async () => {
    const admin = (await vesta(['token', '--scopes', 'system/*.cruds'])).stdout.trim();
    const post = await fetch(`${server.base}/Patient`, { method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Cli' }] }) });
    const patient = ((await post.json()) as { id: string }).id;
    const app = await json(['client', 'add', '--type', 'public', '--name', 'EHR App', '--scopes', 'launch patient/*.rs openid fhirUser', '--redirect-uri', REDIRECT]);
    const { launch, expires_at } = await json(['launch', 'create', '--patient', patient, '--user', 'alice']);
    assert.ok(Date.parse(expires_at) > Date.now());
    const { verifier, challenge } = pkce();
    const params = await authorize(server, { clientId: app.client_id, scope: 'launch patient/*.rs openid fhirUser', username: 'alice', password: 'alice password 2', launch, challenge });
    const t = await tokenRequest({ issuer: `${server.root}/auth` }, { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: REDIRECT, client_id: app.client_id, code_verifier: verifier });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.patient, patient);
    assert.ok(t.body.id_token);
    const read = await fetch(`${server.base}/Patient/${patient}`, { headers: { Authorization: `Bearer ${t.body.access_token}` } });
    assert.equal(read.status, 200);
  });

  test('client add takes an asymmetric or backend client\'s keys from a JWKS file or URL, public parts only', async () => {
    const file = path.join(dir, 'app-jwks.json');
    const { generateKeyPair, exportJWK } = await import('jose');
    const pair = await generateKeyPair('ES384', { extractable: true });
    // A private JWK pasted by mistake: only its public members are kept.
    fs.writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(pair.privateKey)), kid: 'k1' }] }));
    const keyed = await json(['client', 'add', '--type', 'backend', '--name', 'Export', '--scopes', 'system/*.rs', '--jwks-file', file]);
    assert.equal(keyed.jwks_keys, 1);
    assert.equal(keyed.client_secret, undefined);
    const byUrl = await json(['client', 'add', '--type', 'asymmetric', '--name', 'Keyed', '--scopes', 'patient/*.rs', '--redirect-uri', REDIRECT, '--jwks-url', 'https://app.example.org/jwks.json']);
    assert.equal(byUrl.jwks_url, 'https://app.example.org/jwks.json');
    const noKeys = await vesta(['client', 'add', '--type', 'backend', '--name', 'X', '--scopes', 'system/*.rs']);
    assert.equal(noKeys.code, 1);
    assert.match(noKeys.stderr, /--jwks-file or --jwks-url/);
    const stored = await json(['client', 'list']);
    assert.doesNotMatch(JSON.stringify(stored), /"d":/);
  });

  test('vesta --help lists the new commands', async () => {
    const help = await vesta(['--help']);
    for (const c of ['user', 'client', 'launch', 'token', 'keys']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  });
});
