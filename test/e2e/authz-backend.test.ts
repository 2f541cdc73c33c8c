import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { JWT_BEARER } from '../../src/auth/server/client-auth.js';
import { startAuthzServer, tokenRequest } from '../support/authz.js';
import type { AuthzServer } from '../support/authz.js';
import { seedPatient } from '../support/smart.js';
import type { PatientRecord } from '../support/smart.js';

/**
 * SMART Backend Services (client_credentials with private_key_jwt, RFC 7523) and the asymmetric app client: a signed
 * assertion gets a system/ token that reads data; every wrong assertion is invalid_client.
 */

let srv: AuthzServer;
let a: PatientRecord;
let key: CryptoKey;
let backend = '';
let byUrl = '';
let jwksServer: http.Server;

async function assertion(client: string, over: { aud?: string; iss?: string; sub?: string; exp?: number; jti?: string; alg?: string; key?: CryptoKey | Uint8Array } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: over.alg ?? 'RS384', kid: 'k1', typ: 'JWT' })
    .setIssuer(over.iss ?? client).setSubject(over.sub ?? client).setAudience(over.aud ?? `${srv.issuer}/token`)
    .setExpirationTime(over.exp ?? now + 240).setIssuedAt(now).setJti(over.jti ?? randomUUID())
    .sign(over.key ?? key);
}

const grant = (client: string, jwt: string, scope = 'system/Patient.rs system/Observation.rs') =>
  tokenRequest(srv, { grant_type: 'client_credentials', scope, client_assertion_type: JWT_BEARER, client_assertion: jwt });

before(async () => {
  srv = await startAuthzServer();
  a = await seedPatient(srv, await srv.token('system/*.cruds'), 'A');
  const pair = await generateKeyPair('RS384', { extractable: true });
  key = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS384', use: 'sig' };
  backend = (await srv.client({ type: 'backend', name: 'Nightly export', scopes: 'system/*.rs', jwks: { keys: [jwk] } })).clientId;
  jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  jwksServer.listen(0, '127.0.0.1');
  await new Promise((r) => jwksServer.once('listening', r));
  const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  byUrl = (await srv.client({ type: 'backend', name: 'By URL', scopes: 'system/Patient.rs', jwksUrl: url })).clientId;
});
after(async () => {
  jwksServer.close();
  await srv.close();
});

describe('backend services', () => {
  test('a signed assertion gets a system/ token (no refresh token) that reads data', async () => {
    const res = await grant(backend, await assertion(backend));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.scope, 'system/Patient.rs system/Observation.rs');
    assert.equal(res.body.refresh_token, undefined);
    assert.equal(res.body.id_token, undefined);
    assert.ok(res.body.expires_in > 0);
    const read = await srv.as(res.body.access_token)('GET', `${srv.base}/Observation?patient=${a.patient}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.entry.length, 2);
    assert.equal((await srv.as(res.body.access_token)('GET', `${srv.base}/Condition`)).status, 403, 'not granted');
  });

  test('keys published at a JWKS URL work too', async () => {
    const res = await grant(byUrl, await assertion(byUrl), 'system/Patient.rs');
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('wrong audience, issuer, subject, algorithm, key, expiry or a replayed jti are invalid_client (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = (await generateKeyPair('RS384')).privateKey;
    const bad: [string, Promise<string>][] = [
      ['audience', assertion(backend, { aud: `${srv.root}/fhir` })],
      ['issuer', assertion(backend, { iss: 'someone-else' })],
      ['subject', assertion(backend, { sub: 'someone-else' })],
      ['HS256', assertion(backend, { alg: 'HS256', key: new TextEncoder().encode('x'.repeat(48)) })],
      ['other key', assertion(backend, { key: other })],
      ['expired', assertion(backend, { exp: now - 120 })],
      ['too long', assertion(backend, { exp: now + 3600 })],
    ];
    for (const [what, jwt] of bad) {
      const res = await grant(backend, await jwt);
      assert.equal(res.status, 401, what);
      assert.equal(res.body.error, 'invalid_client', what);
    }
    const once = await assertion(backend);
    assert.equal((await grant(backend, once)).status, 200);
    const replay = await grant(backend, once);
    assert.equal(replay.status, 401, 'a jti is used once');
    const wrongType = await tokenRequest(srv, { grant_type: 'client_credentials', scope: 'system/Patient.rs', client_assertion_type: 'urn:other', client_assertion: await assertion(backend) });
    assert.equal(wrongType.status, 401);
  });

  test('scopes beyond the registration, or not system/, are invalid_scope; other clients cannot use client_credentials', async () => {
    const res = await grant(backend, await assertion(backend), 'system/Patient.cruds');
    assert.deepEqual([res.status, res.body.error], [400, 'invalid_scope']);
    const patientScope = await grant(backend, await assertion(backend), 'patient/*.rs');
    assert.equal(patientScope.body.error, 'invalid_scope');
    const pub = (await srv.client({ type: 'public' })).clientId;
    const viaPublic = await tokenRequest(srv, { grant_type: 'client_credentials', scope: 'system/Patient.rs', client_id: pub });
    assert.equal(viaPublic.body.error, 'unauthorized_client');
  });

  test('backend clients register with system/ scopes and keys only', async () => {
    await assert.rejects(srv.client({ type: 'backend', scopes: 'patient/*.rs', jwks: { keys: [] } }), /system\//);
    await assert.rejects(srv.client({ type: 'backend', scopes: 'system/*.rs' }), /jwks/);
  });
});

describe('discovery', () => {
  test('the SMART configuration names the endpoints, S256 only, and the capabilities; OpenID discovery and the JWKS agree', async () => {
    const smart = await (await fetch(`${srv.base}/.well-known/smart-configuration`)).json() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(smart.issuer, srv.issuer);
    assert.equal(smart.authorization_endpoint, `${srv.issuer}/authorize`);
    assert.equal(smart.token_endpoint, `${srv.issuer}/token`);
    assert.equal(smart.introspection_endpoint, `${srv.issuer}/introspect`);
    assert.equal(smart.revocation_endpoint, `${srv.issuer}/revoke`);
    assert.deepEqual(smart.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(smart.response_types_supported, ['code']);
    assert.deepEqual(new Set(smart.grant_types_supported), new Set(['authorization_code', 'client_credentials', 'refresh_token']));
    assert.deepEqual(new Set(smart.token_endpoint_auth_methods_supported), new Set(['private_key_jwt', 'client_secret_basic', 'none']));
    for (const c of ['launch-ehr', 'launch-standalone', 'authorize-post', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
      'context-ehr-patient', 'context-ehr-encounter', 'context-standalone-patient', 'context-banner', 'context-style', 'permission-offline',
      'permission-online', 'permission-patient', 'permission-user', 'permission-v1', 'permission-v2', 'sso-openid-connect']) {
      assert.ok(smart.capabilities.includes(c), c);
    }
    const oidc = await (await fetch(`${srv.issuer}/.well-known/openid-configuration`)).json() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(oidc.issuer, smart.issuer);
    assert.equal(oidc.token_endpoint, smart.token_endpoint);
    assert.deepEqual(oidc.id_token_signing_alg_values_supported, ['RS256']);
    const jwks = await (await fetch(oidc.jwks_uri)).json() as { keys: JWK[] };
    assert.ok(jwks.keys.some((k) => k.alg === 'RS256') && jwks.keys.every((k) => k.d === undefined));
  });
});
