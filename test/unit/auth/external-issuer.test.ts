import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { createAuth } from '../../../src/auth/setup.js';
import type { AuthSetup } from '../../../src/auth/setup.js';
import { loadConfig } from '../../../src/config.js';
import { FhirError } from '../../../src/fhir/outcome.js';
import { createLogger } from '../../../src/logging/logger.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

/**
 * VESTA_AUTH=external: tokens of a trusted issuer, its keys found by OpenID discovery and fetched again on a new
 * `kid`, and opaque tokens checked by RFC 7662 introspection (cached, never past their expiry). The issuer is a
 * small HTTP server of the test's own with keys generated per run.
 */

const BASE = 'http://127.0.0.1:8080/fhir';
let issuer = '';
let idp: http.Server;
let keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
let jwksFetches = 0;
let introspections = 0;
const opaque = new Map<string, Record<string, unknown>>();
let dir: string;
let store: SqliteStore;
let auth: AuthSetup;

async function newKey(kid: string): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  keys.push({ kid, privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } });
}

function sign(kid: string, claims: Record<string, unknown> = {}): Promise<string> {
  const key = keys.find((k) => k.kid === kid)!;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'user/*.rs', client_id: 'ext-app', ...claims }).setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(issuer).setAudience(BASE).setSubject('u1').setIssuedAt(now).setExpirationTime(now + 300).setJti(`j-${Math.random()}`).sign(key.privateKey);
}

before(async () => {
  await newKey('k1');
  idp = http.createServer((req, res) => {
    const json = (body: unknown): void => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/openid-configuration') return json({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` });
    if (req.url === '/jwks') {
      jwksFetches++;
      return json({ keys: keys.map((k) => k.jwk) });
    }
    if (req.url === '/introspect' && req.method === 'POST') {
      introspections++;
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const auth = req.headers.authorization;
        if (auth !== `Basic ${Buffer.from('vesta:s3cret').toString('base64')}`) return void res.writeHead(401).end();
        const token = new URLSearchParams(body).get('token') ?? '';
        json(opaque.get(token) ?? { active: false });
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', () => r()));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-ext-'));
  store = SqliteStore.open({ dataDir: dir, synchronous: 'NORMAL' });
  const config = loadConfig({
    VESTA_DATA_DIR: dir, VESTA_BASE_URL: BASE, VESTA_AUTH: 'external', VESTA_AUTH_ISSUER: issuer,
    VESTA_AUTH_INTROSPECTION_URI: `${issuer}/introspect`, VESTA_AUTH_INTROSPECTION_CLIENT_ID: 'vesta', VESTA_AUTH_INTROSPECTION_CLIENT_SECRET: 's3cret',
  });
  auth = createAuth({
    config, state: store.authState(), resourceTypes: new Set(['Patient']), log: createLogger('error', true),
    search: { compartment: () => undefined, criteria: () => undefined },
  });
  await auth.ready;
});
after(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((r) => idp.close(() => r()));
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const isInvalid = (e: unknown): boolean => e instanceof FhirError && e.status === 401 && /invalid_token/.test(e.headers['WWW-Authenticate'] ?? '');

describe('an external issuer\'s JWTs', () => {
  test('are verified with the keys its discovery document names', async () => {
    const ctx = await auth.authenticator.authenticate(bearer(await sign('k1')));
    assert.equal(ctx.clientId, 'ext-app');
    assert.equal(ctx.issuer, issuer);
    assert.equal(jwksFetches, 1);
  });

  test('a token with a new kid makes the server fetch the JWKS again (once, then cached), not more often than every 5 s', async () => {
    await newKey('k2');
    const before = jwksFetches;
    const token = await sign('k2');
    await assert.rejects(auth.authenticator.authenticate(bearer(token)), isInvalid, 'within the floor the known set answers');
    assert.equal(jwksFetches, before);
    await new Promise((r) => setTimeout(r, 5100));
    assert.equal((await auth.authenticator.authenticate(bearer(token))).clientId, 'ext-app');
    assert.equal(jwksFetches, before + 1);
    await auth.authenticator.authenticate(bearer(await sign('k2')));
    assert.equal(jwksFetches, before + 1);
  });

  test('a token of this issuer for another audience is refused', async () => {
    const key = keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'user/*.rs' }).setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(issuer).setAudience('https://elsewhere/fhir').setIssuedAt(now).setExpirationTime(now + 60).sign(key.privateKey);
    await assert.rejects(auth.authenticator.authenticate(bearer(token)), isInvalid);
  });
});

describe('opaque tokens by introspection', () => {
  test('an active token becomes a context; the answer is cached', async () => {
    opaque.set('opaque-1', { active: true, scope: 'user/Patient.rs', client_id: 'op-app', sub: 'u2', exp: Math.floor(Date.now() / 1000) + 300 });
    const before = introspections;
    const ctx = await auth.authenticator.authenticate(bearer('opaque-1'));
    assert.equal(ctx.clientId, 'op-app');
    assert.deepEqual(ctx.grants, [{ context: 'user', resourceType: 'Patient', permissions: 'rs' }]);
    await auth.authenticator.authenticate(bearer('opaque-1'));
    assert.equal(introspections, before + 1);
  });

  test('an inactive or unknown token is 401 invalid_token', async () => {
    await assert.rejects(auth.authenticator.authenticate(bearer('opaque-unknown')), isInvalid);
  });

  test('an introspection answer whose exp has passed is refused', async () => {
    opaque.set('opaque-old', { active: true, scope: 'user/Patient.rs', client_id: 'op-app', exp: Math.floor(Date.now() / 1000) - 5 });
    await assert.rejects(auth.authenticator.authenticate(bearer('opaque-old')), isInvalid);
  });
});
