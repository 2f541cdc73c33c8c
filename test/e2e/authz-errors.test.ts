import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PageClient, REDIRECT, authorize, csrfOf, pkce, startAuthzServer, tokenRequest } from '../support/authz.js';
import type { AuthzServer } from '../support/authz.js';
import { secretId } from '../../src/auth/server/secrets.js';
import { seedPatient } from '../support/smart.js';
import type { PatientRecord } from '../support/smart.js';

/**
 * The authorization endpoint's and the token endpoint's refusals (issue 12 negative flows): untrusted redirects shown on a
 * page, PKCE, aud, codes (reuse revokes, expiry, verifier, redirect), CSRF, lockout, client secrets, refresh rotation.
 */

let srv: AuthzServer;
let a: PatientRecord;
let app = '';
let conf = { clientId: '', secret: '' };
const PASSWORD = 'correct horse battery';

before(async () => {
  srv = await startAuthzServer({ VESTA_AUTH_LOGIN_ATTEMPTS: '3' });
  a = await seedPatient(srv, await srv.token('system/*.cruds'), 'A');
  app = (await srv.client({ type: 'public' })).clientId;
  const c = await srv.client({ type: 'confidential', name: 'Confidential App' });
  conf = { clientId: c.clientId, secret: c.secret! };
  await srv.user('pat', PASSWORD, `Patient/${a.patient}`);
  await srv.user('victim', PASSWORD, `Patient/${a.patient}`);
});
after(async () => {
  await srv.close();
});

const authorizeUrl = (over: Record<string, string | null>): string => {
  const q = new URLSearchParams({
    response_type: 'code', client_id: app, redirect_uri: REDIRECT, scope: 'patient/*.rs', state: 'xyz', aud: srv.base,
    code_challenge: pkce().challenge, code_challenge_method: 'S256',
  });
  for (const [k, v] of Object.entries(over)) {
    if (v === null) q.delete(k);
    else q.set(k, v);
  }
  return `/auth/authorize?${q}`;
};

async function codeFor(client: string, verifierPair = pkce()): Promise<{ code: string; verifier: string }> {
  const params = await authorize(srv, { clientId: client, scope: 'patient/*.rs offline_access', username: 'pat', password: PASSWORD, challenge: verifierPair.challenge });
  return { code: params.get('code')!, verifier: verifierPair.verifier };
}

describe('authorization endpoint', () => {
  test('an unregistered redirect_uri or unknown client is shown on a page, never redirected', async () => {
    const pages = new PageClient(srv.root);
    for (const url of [authorizeUrl({ redirect_uri: 'http://127.0.0.1:9/evil' }), authorizeUrl({ redirect_uri: `${REDIRECT}/` }), authorizeUrl({ redirect_uri: null }), authorizeUrl({ client_id: 'nobody' })]) {
      const res = await pages.send('GET', url);
      assert.equal(res.status, 400, url);
      assert.equal(res.location, null);
      assert.match(res.headers.get('content-type')!, /text\/html/);
      assert.match(res.text, /Cannot continue/);
    }
  });

  test('missing PKCE, a plain challenge, a wrong aud or response type, or no state go back to the app as errors', async () => {
    const pages = new PageClient(srv.root);
    const cases: [Record<string, string | null>, string][] = [
      [{ code_challenge: null, code_challenge_method: null }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge_method: null }, 'invalid_request'],
      [{ aud: 'http://elsewhere.example/fhir' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'nothing/useful' }, 'invalid_scope'],
      [{ launch: 'made-up' , scope: 'launch patient/*.rs' }, 'invalid_request'],
    ];
    for (const [over, error] of cases) {
      const res = await pages.send('GET', authorizeUrl(over));
      assert.equal(res.status, 303, JSON.stringify(over));
      const loc = new URL(res.location!);
      assert.equal(`${loc.origin}${loc.pathname}`, REDIRECT);
      assert.equal(loc.searchParams.get('error'), error, JSON.stringify(over));
      assert.equal(loc.searchParams.get('state'), 'xyz');
    }
    const noState = new URL((await pages.send('GET', authorizeUrl({ state: null }))).location!);
    assert.equal(noState.searchParams.get('error'), 'invalid_request');
  });

  test('POST to the authorization endpoint works like GET (authorize-post)', async () => {
    const pages = new PageClient(srv.root);
    const form = new URLSearchParams(authorizeUrl({}).split('?')[1]);
    const res = await pages.send('POST', '/auth/authorize', form);
    assert.equal(res.status, 303);
    assert.match(res.location!, /^\/auth\/interaction\//);
  });

  test('a form without its CSRF token, with a wrong one, or from another browser is refused on a page', async () => {
    const pages = new PageClient(srv.root);
    const loc = (await pages.send('GET', authorizeUrl({}))).location!;
    const login = await pages.send('GET', loc);
    assert.match(login.headers.get('content-security-policy')!, /form-action 'self'/);
    const missing = await pages.send('POST', `${loc}/login`, { username: 'pat', password: PASSWORD });
    assert.equal(missing.status, 400);
    assert.match(missing.text, /security token/);
    const wrong = await pages.send('POST', `${loc}/login`, { csrf: 'x'.repeat(32), username: 'pat', password: PASSWORD });
    assert.equal(wrong.status, 400);
    const other = new PageClient(srv.root);
    const stolen = await other.send('POST', `${loc}/login`, { csrf: csrfOf(login.text), username: 'pat', password: PASSWORD });
    assert.equal(stolen.status, 400);
    assert.match(stolen.text, /another browser|expired/);
  });

  test('after repeated failed logins the user is locked out, even with the right password', async () => {
    const pages = new PageClient(srv.root);
    const loc = (await pages.send('GET', authorizeUrl({}))).location!;
    let page = await pages.send('GET', loc);
    for (let i = 0; i < 3; i++) {
      page = await pages.send('POST', `${loc}/login`, { csrf: csrfOf(page.text), username: 'victim', password: 'wrong password' });
      assert.equal(page.status, 401);
    }
    assert.match(page.text, /locked/);
    const right = await pages.send('POST', `${loc}/login`, { csrf: csrfOf(page.text), username: 'victim', password: PASSWORD });
    assert.equal(right.status, 401);
    assert.match(right.text, /locked/);
    assert.doesNotMatch(right.text, /wrong password/);
  });
});

describe('token endpoint: codes', () => {
  test('a reused code is refused and revokes every token issued from it', async () => {
    const { code, verifier } = await codeFor(app);
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier };
    const first = await tokenRequest(srv, form);
    assert.equal(first.status, 200);
    const read = srv.as(first.body.access_token);
    assert.equal((await read('GET', `${srv.base}/Patient/${a.patient}`)).status, 200);
    const second = await tokenRequest(srv, form);
    assert.equal(second.status, 400);
    assert.equal(second.body.error, 'invalid_grant');
    assert.equal((await read('GET', `${srv.base}/Patient/${a.patient}`)).status, 401, 'the first access token is revoked');
    const refreshed = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: app });
    assert.equal(refreshed.status, 400, 'its refresh token too');
  });

  test('a wrong verifier, a missing verifier, or another redirect_uri spends the code and gets invalid_grant', async () => {
    for (const over of [{ code_verifier: pkce().verifier }, { redirect_uri: `${REDIRECT}?x=1` }]) {
      const { code, verifier } = await codeFor(app);
      const res = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier, ...over });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_grant');
      const retry = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier });
      assert.equal(retry.status, 400, 'a code is spent by a failed exchange');
    }
    const { code } = await codeFor(app);
    const missing = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
  });

  test('an expired code is refused', async () => {
    const { code, verifier } = await codeFor(app);
    const state = srv.store.authState();
    const rec = await state.get('auth-code', secretId(code));
    assert.ok(rec);
    await state.put({ ...rec, expiresAt: Date.now() - 1 });
    const res = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  test('a code of one client cannot be exchanged by another', async () => {
    const { code, verifier } = await codeFor(app);
    const other = (await srv.client({ type: 'public', name: 'Other' })).clientId;
    const res = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: other, code_verifier: verifier });
    assert.equal(res.body.error, 'invalid_grant');
  });

  test('unknown grant types, missing grant types and unknown clients get the statuses RFC 6749 §5.2 names', async () => {
    const unsupported = await tokenRequest(srv, { grant_type: 'password', client_id: app });
    assert.deepEqual([unsupported.status, unsupported.body.error], [400, 'unsupported_grant_type']);
    const missing = await tokenRequest(srv, { client_id: app });
    assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request']);
    const nobody = await tokenRequest(srv, { grant_type: 'authorization_code', code: 'x', client_id: 'nobody' });
    assert.deepEqual([nobody.status, nobody.body.error], [401, 'invalid_client']);
  });
});

describe('token endpoint: confidential clients and refresh', () => {
  test('client_secret_basic: the right secret works, a wrong one is 401 invalid_client with WWW-Authenticate', async () => {
    const { code, verifier } = await codeFor(conf.clientId);
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier };
    const wrong = await tokenRequest(srv, form, { basic: [conf.clientId, 'not-the-secret'] });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');
    assert.match(wrong.headers.get('www-authenticate')!, /^Basic/);
    const noAuth = await tokenRequest(srv, { ...form, client_id: conf.clientId });
    assert.equal(noAuth.status, 401, 'a confidential client cannot pass as public');
    const ok = await tokenRequest(srv, form, { basic: [conf.clientId, conf.secret] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('refresh rotates: the new token works, the old one is refused and revokes the family; scopes narrow, never widen', async () => {
    const { code, verifier } = await codeFor(conf.clientId);
    const basic: [string, string] = [conf.clientId, conf.secret];
    const first = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { basic });
    const wider = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, scope: 'patient/*.cruds offline_access' }, { basic });
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error, 'invalid_scope');
    const narrow = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, scope: 'patient/*.rs' }, { basic });
    assert.equal(narrow.status, 200, JSON.stringify(narrow.body));
    assert.equal(narrow.body.scope, 'patient/*.rs');
    assert.notEqual(narrow.body.refresh_token, first.body.refresh_token);
    assert.equal((await srv.as(narrow.body.access_token)('GET', `${srv.base}/Patient/${a.patient}`)).status, 200);
    const reuse = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, { basic });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.equal((await srv.as(narrow.body.access_token)('GET', `${srv.base}/Patient/${a.patient}`)).status, 401, 'the family is revoked');
    const next = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: narrow.body.refresh_token }, { basic });
    assert.equal(next.status, 400);
  });

  test('a refresh token of another client is refused', async () => {
    const { code, verifier } = await codeFor(app);
    const first = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier });
    const stolen = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, { basic: [conf.clientId, conf.secret] });
    assert.equal(stolen.body.error, 'invalid_grant');
  });
});

describe('introspection and revocation', () => {
  test('introspection reports an active token\'s facts to a confidential client, and exactly {active:false} once revoked', async () => {
    const { code, verifier } = await codeFor(app);
    const t = (await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier })).body;
    const basic: [string, string] = [conf.clientId, conf.secret];
    const active = await tokenRequest(srv, { token: t.access_token }, { basic, path: '/introspect' });
    assert.equal(active.status, 200);
    assert.equal(active.body.active, true);
    assert.equal(active.body.scope, t.scope);
    assert.equal(active.body.client_id, app);
    assert.equal(active.body.patient, a.patient);
    assert.equal(active.body.fhirUser, `${srv.base}/Patient/${a.patient}`);
    assert.ok(typeof active.body.exp === 'number' && typeof active.body.sub === 'string');
    const publicClient = await tokenRequest(srv, { token: t.access_token, client_id: app }, { path: '/introspect' });
    assert.equal(publicClient.status, 401);

    const revoked = await tokenRequest(srv, { token: t.access_token, client_id: app }, { path: '/revoke' });
    assert.equal(revoked.status, 200);
    assert.equal((await srv.as(t.access_token)('GET', `${srv.base}/Patient/${a.patient}`)).status, 401, 'revoked at the resource server at once');
    const inactive = await tokenRequest(srv, { token: t.access_token }, { basic, path: '/introspect' });
    assert.deepEqual(inactive.body, { active: false });
    const junk = await tokenRequest(srv, { token: 'junk' }, { basic, path: '/introspect' });
    assert.deepEqual(junk.body, { active: false });
    assert.equal((await tokenRequest(srv, { token: 'junk', client_id: app }, { path: '/revoke' })).status, 200, 'RFC 7009 §2.2: unknown tokens too');
  });

  test('revoking a refresh token stops it', async () => {
    const { code, verifier } = await codeFor(app);
    const t = (await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier })).body;
    assert.equal((await tokenRequest(srv, { token: t.refresh_token, client_id: app }, { path: '/revoke' })).status, 200);
    const res = await tokenRequest(srv, { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: app });
    assert.equal(res.body.error, 'invalid_grant');
  });
});
