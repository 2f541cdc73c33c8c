import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { auditRecords } from '../support/audit-trail.js';
import { PageClient, REDIRECT, authorize, csrfOf, pkce, startAuthzServer, tokenRequest } from '../support/authz.js';
import type { AuthzServer } from '../support/authz.js';
import { seedPatient } from '../support/smart.js';
import type { PatientRecord } from '../support/smart.js';

/**
 * SMART App Launch through the built-in authorization server (issue 12): standalone launch with the patient picker,
 * EHR launch with a launch context, consent (subset, deny), the token response, id_token, and the security events.
 */

let srv: AuthzServer;
let a: PatientRecord;
let b: PatientRecord;
let app = '';

before(async () => {
  srv = await startAuthzServer();
  const admin = await srv.token('system/*.cruds');
  a = await seedPatient(srv, admin, 'A');
  b = await seedPatient(srv, admin, 'B');
  app = (await srv.client({ type: 'public', name: 'Growth Chart' })).clientId;
  await srv.user('dr-who', 'correct horse battery', 'Practitioner/doc-1');
  await srv.user('pat-a', 'patient a password', `Patient/${a.patient}`);
});
after(async () => {
  await srv.close();
});

describe('standalone launch', () => {
  test('a practitioner logs in, picks a patient by name, approves, and the app reads only that patient\'s data', async () => {
    const { verifier, challenge } = pkce();
    const pages = new PageClient(srv.root);
    // The picker searches by name: B's family name finds B, not A.
    const q = new URLSearchParams({ response_type: 'code', client_id: app, redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs', state: 's', aud: srv.base, code_challenge: challenge, code_challenge_method: 'S256' });
    const start = await pages.send('GET', `/auth/authorize?${q}`);
    const loc = start.location!;
    const login = await pages.send('GET', loc);
    await pages.send('POST', `${loc}/login`, { csrf: csrfOf(login.text), username: 'dr-who', password: 'correct horse battery' });
    const found = await pages.send('GET', `${loc}?name=FamilyB`);
    assert.match(found.text, /Given FamilyB/);
    assert.doesNotMatch(found.text, /FamilyA/);

    const scope = 'launch/patient openid fhirUser profile offline_access patient/*.rs patient/*.read';
    const params = await authorize(srv, { clientId: app, scope, username: 'dr-who', password: 'correct horse battery', pick: a.patient, challenge, nonce: 'n-1' });
    assert.equal(params.get('state'), 'st-1');
    const code = params.get('code');
    assert.ok(code);
    const res = await tokenRequest(srv, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const t = res.body;
    assert.equal(t.token_type, 'Bearer');
    assert.equal(t.patient, a.patient);
    assert.equal(t.need_patient_banner, true);
    assert.equal(t.smart_style_url, `${srv.issuer}/smart-style.json`);
    assert.ok(Number.isInteger(t.expires_in) && t.expires_in > 0);
    assert.ok(typeof t.refresh_token === 'string');
    assert.deepEqual(new Set(t.scope.split(' ')), new Set(scope.split(' ')));
    const claims = decodeJwt(t.access_token);
    assert.equal(claims.iss, srv.issuer);
    assert.equal(claims.aud, srv.base);
    assert.equal(claims.patient, a.patient);
    assert.equal(claims.fhirUser, 'Practitioner/doc-1');
    assert.equal(claims.client_id, app);
    const id = decodeJwt(t.id_token);
    assert.equal(id.aud, app);
    assert.equal(id.iss, srv.issuer);
    assert.equal(id.fhirUser, `${srv.base}/Practitioner/doc-1`);
    assert.equal(id.nonce, 'n-1');
    const call = srv.as(t.access_token);
    const mine = await call('GET', `${srv.base}/Observation?patient=${a.patient}`);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.entry.length, 2);
    assert.equal((await call('GET', `${srv.base}/Observation/${b.lab}`)).status, 404);
  });

  test('a patient user is the patient in context: no picker, and the token names them', async () => {
    const { verifier, challenge } = pkce();
    const params = await authorize(srv, { clientId: app, scope: 'launch/patient patient/Observation.rs', username: 'pat-a', password: 'patient a password', challenge });
    const res = await tokenRequest(srv, { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier });
    assert.equal(res.status, 200);
    assert.equal(res.body.patient, a.patient);
  });

  test('the picker refuses a patient the user may not see', async () => {
    const { challenge } = pkce();
    const pages = new PageClient(srv.root);
    const q = new URLSearchParams({ response_type: 'code', client_id: app, redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs', state: 's', aud: srv.base, code_challenge: challenge, code_challenge_method: 'S256' });
    const loc = (await pages.send('GET', `/auth/authorize?${q}`)).location!;
    const login = await pages.send('GET', loc);
    await pages.send('POST', `${loc}/login`, { csrf: csrfOf(login.text), username: 'dr-who', password: 'correct horse battery' });
    const picker = await pages.send('GET', loc);
    const refused = await pages.send('POST', `${loc}/patient`, { csrf: csrfOf(picker.text), patient: 'no-such-patient' });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /Choose one of the patients listed/);
  });

  test('approving a subset grants only that subset; denying sends access_denied with the state', async () => {
    const { verifier, challenge } = pkce();
    const params = await authorize(srv, { clientId: app, scope: 'launch/patient patient/Observation.rs patient/Condition.rs', username: 'pat-a', password: 'patient a password', challenge, approve: ['launch/patient', 'patient/Observation.rs'] });
    const res = await tokenRequest(srv, { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier });
    assert.equal(res.body.scope, 'launch/patient patient/Observation.rs');
    assert.equal((await srv.as(res.body.access_token)('GET', `${srv.base}/Condition?patient=${a.patient}`)).status, 403);

    const denied = await authorize(srv, { clientId: app, scope: 'patient/*.rs', username: 'pat-a', password: 'patient a password', challenge, approve: 'deny', state: 'deny-state' });
    assert.equal(denied.get('error'), 'access_denied');
    assert.equal(denied.get('state'), 'deny-state');
    assert.equal(denied.get('code'), null);
  });
});

describe('EHR launch', () => {
  test('a launch context gives patient and encounter, once', async () => {
    const { launch } = await srv.app.authServer!.launches.create({ patient: b.patient, encounter: b.encounter });
    const { verifier, challenge } = pkce();
    const params = await authorize(srv, { clientId: app, scope: 'launch patient/*.rs openid fhirUser', username: 'dr-who', password: 'correct horse battery', launch, challenge });
    const res = await tokenRequest(srv, { grant_type: 'authorization_code', code: params.get('code')!, redirect_uri: REDIRECT, client_id: app, code_verifier: verifier });
    assert.equal(res.status, 200);
    assert.equal(res.body.patient, b.patient);
    assert.equal(res.body.encounter, b.encounter);
    assert.equal(res.body.refresh_token, undefined, 'no offline_access or online_access, no refresh token');
    const again = await authorize(srv, { clientId: app, scope: 'launch patient/*.rs', username: 'dr-who', password: 'correct horse battery', launch, challenge });
    assert.equal(again.get('error'), 'invalid_request');
    assert.match(again.get('error_description')!, /launch/);
  });

  test('a launch created for one user cannot be completed by another', async () => {
    const { launch } = await srv.app.authServer!.launches.create({ patient: b.patient, user: 'pat-a' });
    const { challenge } = pkce();
    const pages = new PageClient(srv.root);
    const q = new URLSearchParams({ response_type: 'code', client_id: app, redirect_uri: REDIRECT, scope: 'launch patient/*.rs', state: 's', aud: srv.base, code_challenge: challenge, code_challenge_method: 'S256', launch });
    const loc = (await pages.send('GET', `/auth/authorize?${q}`)).location!;
    const login = await pages.send('GET', loc);
    const res = await pages.send('POST', `${loc}/login`, { csrf: csrfOf(login.text), username: 'dr-who', password: 'correct horse battery' });
    assert.equal(res.status, 401);
    assert.match(res.text, /created for another user/);
  });
});

describe('security events', () => {
  test('logins, consents and issued tokens land in the audit trail, without secrets', async () => {
    const records = (await auditRecords(srv.store)).filter((r) => r.record.kind === 'security');
    const kinds = new Set(records.map((r) => `${r.record.subtype}:${r.record.outcome}`));
    assert.ok(records.length >= 5, `only ${records.length} security records`);
    assert.ok([...kinds].some((k) => k.endsWith(':0')));
    const text = JSON.stringify(records.map((r) => r.record));
    assert.doesNotMatch(text, /correct horse battery|patient a password/);
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}\./, 'no token in the trail');
  });
});
