import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import { createAuth } from '../../../src/auth/setup.js';
import type { AuthSetup } from '../../../src/auth/setup.js';
import { loadConfig } from '../../../src/config.js';
import type { Config } from '../../../src/config.js';
import { FhirError } from '../../../src/fhir/outcome.js';
import { createLogger } from '../../../src/logging/logger.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

/**
 * Token verification edge cases of the resource server (SMART App Launch 2.x; RFC 6750, 7519): every refusal is a
 * 401 with `WWW-Authenticate: Bearer ... error="invalid_token"`. Keys are generated per run.
 */

const BASE = 'http://127.0.0.1:8080/fhir';
let dir: string;
let store: SqliteStore;
let config: Config;
let auth: AuthSetup;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-token-'));
  store = SqliteStore.open({ dataDir: dir, synchronous: 'NORMAL' });
  config = loadConfig({ VESTA_DATA_DIR: dir, VESTA_BASE_URL: BASE, VESTA_AUTH: 'builtin', VESTA_AUTH_CLOCK_SKEW: '30' });
  auth = createAuth({
    config, state: store.authState(), resourceTypes: new Set(['Patient', 'Observation']), log: createLogger('error', true),
    search: { compartment: () => undefined, criteria: () => undefined },
  });
  await auth.ready;
});
after(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const own = () => auth.own!;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function refused(headers: Record<string, string | undefined>, why: RegExp, invalidToken = true): Promise<void> {
  await assert.rejects(auth.authenticator.authenticate(headers), (e: unknown) => {
    assert.ok(e instanceof FhirError, String(e));
    assert.equal(e.status, 401);
    assert.match(e.outcome.issue[0]!.diagnostics ?? '', why);
    const challenge = e.headers['WWW-Authenticate'] ?? '';
    assert.match(challenge, /^Bearer realm="vesta"/);
    if (invalidToken) assert.match(challenge, /error="invalid_token"/);
    else assert.doesNotMatch(challenge, /error=/);
    return true;
  });
}

/** A token signed with Vesta's current RS256 key, with claims changed by `edit`. */
async function signed(edit: (jwt: SignJWT) => SignJWT = (j) => j, claims: Record<string, unknown> = {}): Promise<string> {
  const { kid, key } = await own().keys.signingKey('RS256');
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: 'patient/*.rs', client_id: 'test', patient: 'p1', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid }).setIssuer(own().issuer).setAudience(BASE).setSubject('s')
    .setIssuedAt(now).setExpirationTime(now + 300).setJti(`jti-${Math.random()}`);
  return edit(jwt).sign(key);
}

describe('a valid token', () => {
  test('becomes one AuthContext with its grants and launch context', async () => {
    const { token } = await own().tokens.sign({ scope: 'patient/Observation.rs launch/patient', clientId: 'app', patient: 'p1', fhirUser: 'Patient/p1', expiresInSeconds: 60 });
    const ctx = await auth.authenticator.authenticate(bearer(token));
    assert.equal(ctx.anonymous, false);
    assert.equal(ctx.patient, 'p1');
    assert.equal(ctx.clientId, 'app');
    assert.equal(ctx.fhirUser, 'Patient/p1');
    assert.deepEqual(ctx.grants, [{ context: 'patient', resourceType: 'Observation', permissions: 'rs' }]);
  });

  test('is verified once: the second request is answered from the cache (the same context object)', async () => {
    const { token } = await own().tokens.sign({ scope: 'user/*.rs', clientId: 'app', expiresInSeconds: 60 });
    assert.equal(await auth.authenticator.authenticate(bearer(token)), await auth.authenticator.authenticate(bearer(token)));
  });

  test('a cached token lends nothing to another text with the same signature: a payload swapped in is verified and refused', async () => {
    const { token } = await own().tokens.sign({ scope: 'patient/*.rs', clientId: 'app', patient: 'p1', expiresInSeconds: 60 });
    const ctx = await auth.authenticator.authenticate(bearer(token));
    assert.equal(ctx.patient, 'p1');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, patient: 'p2', scope: 'system/*.cruds' })).toString('base64url')}.${signature}`;
    await refused(bearer(forged), /signature/i);
    // The genuine token still works, from the cache.
    assert.equal(await auth.authenticator.authenticate(bearer(token)), ctx);
  });

  test('the scheme is case-insensitive, cached or not: the same token under "bearer" gives the same grants, and a header with another scheme is refused even after the token was cached', async () => {
    const { token } = await own().tokens.sign({ scope: 'patient/*.rs', clientId: 'app', patient: 'p1', expiresInSeconds: 60 });
    const first = await auth.authenticator.authenticate(bearer(token));
    const lower = await auth.authenticator.authenticate({ authorization: `bearer ${token}` });
    assert.equal(lower.patient, 'p1');
    assert.deepEqual(lower.grants, first.grants);
    await refused({ authorization: `Basic ${token}` }, /Bearer/, false);
    assert.deepEqual(await auth.authenticator.authenticate(bearer(token)), first);
  });

  test('ES256 tokens are accepted too', async () => {
    const { token } = await own().tokens.sign({ scope: 'user/*.rs', clientId: 'app', expiresInSeconds: 60, alg: 'ES256' });
    assert.equal((await auth.authenticator.authenticate(bearer(token))).clientId, 'app');
  });
});

describe('refused tokens answer 401 with the RFC 6750 challenge', () => {
  test('no Authorization header: a challenge without an error code', async () => {
    await refused({}, /Authentication is required/, false);
  });

  test('another scheme (Basic)', async () => {
    await refused({ authorization: 'Basic dXNlcjpwYXNz' }, /Only Bearer/, false);
  });

  test('an expired token', async () => {
    const { token } = await own().tokens.sign({ scope: 'user/*.rs', clientId: 'app', expiresInSeconds: 60, expired: true });
    await refused(bearer(token), /expired/);
  });

  test('a token expired within the clock skew is still accepted, beyond it is not', async () => {
    const now = Math.floor(Date.now() / 1000);
    await auth.authenticator.authenticate(bearer(await signed((j) => j.setIssuedAt(now - 100).setExpirationTime(now - 10))));
    await refused(bearer(await signed((j) => j.setIssuedAt(now - 100).setExpirationTime(now - 60))), /expired/);
  });

  test('a token not valid yet (nbf in the future beyond the skew)', async () => {
    await refused(bearer(await signed((j) => j.setNotBefore(Math.floor(Date.now() / 1000) + 600))), /not valid yet/);
  });

  test('a token for another audience', async () => {
    await refused(bearer(await signed((j) => j.setAudience('https://other.example.org/fhir'))), /not for this server/);
  });

  test('a token from an issuer this server does not trust', async () => {
    await refused(bearer(await signed((j) => j.setIssuer('https://evil.example.org'))), /issuer this server trusts/);
  });

  test('a token signed with a key the issuer does not publish (unknown kid)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'user/*.rs' }).setProtectedHeader({ alg: 'RS256', kid: 'not-ours' })
      .setIssuer(own().issuer).setAudience(BASE).setIssuedAt(now).setExpirationTime(now + 60).sign(privateKey);
    await refused(bearer(token), /key its issuer does not publish/);
  });

  test('an unsigned token (alg none)', async () => {
    const token = new UnsecuredJWT({ scope: 'system/*.cruds' }).setIssuer(own().issuer).setAudience(BASE).setExpirationTime('5m').encode();
    await refused(bearer(token), /algorithm this server does not accept|not valid/);
  });

  test('an HS256 token whose HMAC secret is the issuer\'s public key', async () => {
    const jwks = await own().keys.jwks();
    const rsa = jwks.keys.find((k) => k.alg === 'RS256')!;
    const secret = new TextEncoder().encode(JSON.stringify(rsa));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'system/*.cruds' }).setProtectedHeader({ alg: 'HS256', kid: rsa.kid! })
      .setIssuer(own().issuer).setAudience(BASE).setIssuedAt(now).setExpirationTime(now + 60).sign(secret);
    await refused(bearer(token), /algorithm this server does not accept/);
  });

  test('a tampered payload (scopes widened after signing)', async () => {
    const token = await signed();
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    claims.scope = 'system/*.cruds';
    await refused(bearer(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`), /signature is not valid/);
  });

  test('a revoked token, also after it was cached', async () => {
    const issued = await own().tokens.sign({ scope: 'user/*.rs', clientId: 'app', expiresInSeconds: 60 });
    await auth.authenticator.authenticate(bearer(issued.token));
    await auth.revocations!.revoke(issued.jti, issued.expiresAt);
    await refused(bearer(issued.token), /revoked/);
  });

  test('garbage', async () => {
    await refused(bearer('not-a-token'), /not a JWT this server can verify/);
    await refused(bearer('a.b.c'), /well-formed|not valid/);
  });
});

describe('key rotation', () => {
  test('a token signed with a key created after the server loaded its keys is accepted (the key set reloads on an unknown kid)', async () => {
    await auth.authenticator.authenticate(bearer(await signed()));
    await own().keys.rotate();
    // Another issuer instance (as the CLI would be) signs with the new key.
    const { token } = await own().tokens.sign({ scope: 'user/*.rs', clientId: 'app', expiresInSeconds: 60 });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string };
    const published = (await own().keys.jwks()).keys.map((k) => k.kid);
    assert.ok(published.includes(header.kid));
    await new Promise((r) => setTimeout(r, 5100)); // the reload floor
    assert.equal((await auth.authenticator.authenticate(bearer(token))).clientId, 'app');
  });

  test('after a rotation the retired key stays published, so tokens it signed keep working', async () => {
    const before = await own().tokens.sign({ scope: 'user/*.rs', clientId: 'old', expiresInSeconds: 60 });
    await own().keys.rotate();
    const list = await own().keys.list();
    assert.ok(list.some((k) => k.retiredAt !== undefined && k.publishedUntil !== undefined));
    assert.equal((await auth.authenticator.authenticate(bearer(before.token))).clientId, 'old');
  });

  test('the JWKS holds public keys only', async () => {
    for (const k of (await own().keys.jwks()).keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal((k as Record<string, unknown>)[secret], undefined);
      assert.equal(k.use, 'sig');
    }
    const { publicKey } = await generateKeyPair('ES256');
    assert.ok(await exportJWK(publicKey));
  });
});
