import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';
import { startSmartServer } from '../support/smart.js';
import type { SmartServer } from '../support/smart.js';

/**
 * The resource server's front door (SMART App Launch 2.x, RFC 6750): every /fhir request but the CapabilityStatement
 * and the SMART configuration needs a bearer token; the answers say why when it is missing or bad; browser apps get
 * CORS; what is advertised is what works.
 */

let srv: SmartServer;
let patient = '';
before(async () => {
  srv = await startSmartServer();
  const admin = await srv.token('system/*.cruds');
  patient = (await srv.as(admin)('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', gender: 'male' } })).body.id;
});
after(async () => {
  await srv.close();
});

describe('authentication', () => {
  test('a request without a token is 401 with a Bearer challenge and an OperationOutcome', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${patient}`);
    assertOutcome(res, { status: 401, code: 'login' });
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="vesta"');
  });

  test('Basic credentials are 401', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?gender=male`, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="vesta"');
  });

  test('an invalid token is 401 with error="invalid_token"', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?gender=male`, { headers: { Authorization: 'Bearer abc.def.ghi' } });
    assertOutcome(res, { status: 401, code: 'security' });
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="vesta", error="invalid_token"/);
  });

  test('a revoked token stops working at once', async () => {
    const issued = await srv.app.auth.own!.tokens.sign({ scope: 'user/*.rs', clientId: 'app', expiresInSeconds: 600 });
    const call = srv.as(issued.token);
    assert.equal((await call('GET', `${srv.base}/Patient/${patient}`)).status, 200);
    await srv.app.auth.revocations!.revoke(issued.jti, issued.expiresAt);
    const res = await call('GET', `${srv.base}/Patient/${patient}`);
    assert.equal(res.status, 401);
    assert.match(res.body.issue[0].diagnostics, /revoked/);
  });

  test('GET metadata and the SMART configuration answer without a token', async () => {
    assert.equal((await fhir('GET', `${srv.base}/metadata`)).status, 200);
    const smart = await fhir('GET', `${srv.base}/.well-known/smart-configuration`);
    assert.equal(smart.status, 200);
    assert.match(smart.headers.get('content-type') ?? '', /^application\/json/);
  });

  test('the public keys are served as a JWKS', async () => {
    const smart = (await fhir('GET', `${srv.base}/.well-known/smart-configuration`)).body;
    const res = await fetch(smart.jwks_uri);
    assert.equal(res.status, 200);
    const jwks = (await res.json()) as { keys: { kid: string; alg: string; d?: string }[] };
    assert.deepEqual([...new Set(jwks.keys.map((k) => k.alg))].sort(), ['ES256', 'RS256']);
    assert.ok(jwks.keys.every((k) => k.d === undefined));
  });
});

describe('scopes', () => {
  test('a type the token has no scope for is 403 (never an empty Bundle or a 404)', async () => {
    const call = srv.as(await srv.token('user/Observation.rs'));
    assertOutcome(await call('GET', `${srv.base}/Patient?gender=male`), { status: 403, code: 'forbidden' });
    assertOutcome(await call('GET', `${srv.base}/Patient/${patient}`), { status: 403, code: 'forbidden' });
    assert.equal((await call('GET', `${srv.base}/Observation?status=final`)).status, 200);
  });

  test('a read scope does not allow writes, and each letter is its own', async () => {
    const call = srv.as(await srv.token('user/Patient.rs'));
    assertOutcome(await call('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient' } }), { status: 403, code: 'forbidden' });
    assertOutcome(await call('DELETE', `${srv.base}/Patient/${patient}`), { status: 403, code: 'forbidden' });
    const onlyRead = srv.as(await srv.token('user/Patient.r'));
    assert.equal((await onlyRead('GET', `${srv.base}/Patient/${patient}`)).status, 200);
    assertOutcome(await onlyRead('GET', `${srv.base}/Patient?gender=male`), { status: 403, code: 'forbidden' });
  });

  test('a conditional write needs the search letter too', async () => {
    const call = srv.as(await srv.token('user/Patient.cu'));
    const res = await call('PUT', `${srv.base}/Patient?identifier=urn:x|1`, { body: { resourceType: 'Patient' } });
    assertOutcome(res, { status: 403, code: 'forbidden' });
    const both = srv.as(await srv.token('user/Patient.cus'));
    assert.equal((await both('PUT', `${srv.base}/Patient?identifier=urn:x|1`, { body: { resourceType: 'Patient' } })).status, 201);
  });

  test('v1 scopes work: patient/*.read reads, user/*.write writes', async () => {
    const reader = srv.as(await srv.token('patient/*.read', { patient }));
    assert.equal((await reader('GET', `${srv.base}/Patient/${patient}`)).status, 200);
    const writer = srv.as(await srv.token('user/*.write user/*.read'));
    assert.equal((await writer('POST', `${srv.base}/Substance`, { body: { resourceType: 'Substance', code: { text: 'x' } } })).status, 201);
  });

  test('a token with no FHIR scopes can call nothing but metadata', async () => {
    const call = srv.as(await srv.token('openid fhirUser launch'));
    assertOutcome(await call('GET', `${srv.base}/Patient/${patient}`), { status: 403, code: 'forbidden', diagnostics: 'grants no access' });
    assert.equal((await call('GET', `${srv.base}/metadata`)).status, 200);
  });

  test('system/ scopes in a token that acts for a user are ignored, never honoured', async () => {
    const call = srv.as(await srv.token('system/*.cruds', { fhirUser: 'Practitioner/1' }));
    assertOutcome(await call('GET', `${srv.base}/Patient/${patient}`), { status: 403, code: 'forbidden' });
  });

  test('$reindex needs a system/ scope', async () => {
    const user = srv.as(await srv.token('user/*.cruds'));
    assertOutcome(await user('POST', `${srv.base}/Substance/$reindex`), { status: 403, code: 'forbidden', diagnostics: 'system/' });
    const system = srv.as(await srv.token('system/*.cruds'));
    assert.equal((await system('POST', `${srv.base}/Substance/$reindex`)).status, 202);
  });
});

describe('discovery and browsers', () => {
  test('the SMART configuration names the issuer, the keys and the permissions that work', async () => {
    const smart = (await fhir('GET', `${srv.base}/.well-known/smart-configuration`)).body;
    assert.equal(smart.issuer, srv.app.auth.own!.issuer);
    assert.ok(smart.jwks_uri.endsWith('/auth/jwks'));
    for (const c of ['permission-patient', 'permission-user', 'permission-v1', 'permission-v2']) assert.ok(smart.capabilities.includes(c), c);
  });

  test('the CapabilityStatement declares SMART-on-FHIR security with CORS', async () => {
    const security = (await fhir('GET', `${srv.base}/metadata`)).body.rest[0].security;
    assert.equal(security.cors, true);
    assert.equal(security.service[0].coding[0].code, 'SMART-on-FHIR');
  });

  test('a CORS preflight is answered with the methods and headers a SMART app needs', async () => {
    const res = await fetch(`${srv.base}/Observation`, {
      method: 'OPTIONS', headers: { Origin: 'https://app.example.org', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
  });

  test('responses (a 401 too) carry CORS headers and expose Location and ETag', async () => {
    const res = await fetch(`${srv.base}/Patient/${patient}`, { headers: { Origin: 'https://app.example.org' } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Location.*ETag/);
  });

  test('a FHIR request without Origin (not a CORS request) gets no CORS headers; the cacheable JWKS always does', async () => {
    const fhirRes = await fetch(`${srv.base}/metadata`);
    assert.equal(fhirRes.status, 200);
    assert.equal(fhirRes.headers.get('cache-control'), 'no-store');
    assert.equal(fhirRes.headers.get('access-control-allow-origin'), null);
    assert.equal(fhirRes.headers.get('access-control-expose-headers'), null);
    // A shared cache may hand its copy to a browser later: with `*` it carries the header whoever asked first.
    const jwks = await fetch(new URL('/auth/jwks', srv.base));
    assert.equal(jwks.status, 200);
    assert.match(jwks.headers.get('cache-control') ?? '', /public/);
    assert.equal(jwks.headers.get('access-control-allow-origin'), '*');
  });
});

describe('a user policy keyed on fhirUser', () => {
  let narrowed: SmartServer;
  let mine = '';
  let other = '';
  before(async () => {
    // A deployment's rule: Practitioner/doc1 sees only the patients whose general practitioner they are.
    narrowed = await startSmartServer({}, {
      userPolicy: (ctx, type) => (ctx.fhirUser === 'Practitioner/doc1' && type === 'Patient'
        ? { kind: 'reference', param: { code: 'general-practitioner', type: 'reference' }, targetType: 'Practitioner', id: 'doc1' }
        : undefined),
    });
    const admin = narrowed.as(await narrowed.token('system/*.cruds'));
    mine = (await admin('POST', `${narrowed.base}/Patient`, { body: { resourceType: 'Patient', generalPractitioner: [{ reference: 'Practitioner/doc1' }] } })).body.id;
    other = (await admin('POST', `${narrowed.base}/Patient`, { body: { resourceType: 'Patient' } })).body.id;
  });
  after(async () => {
    await narrowed.close();
  });

  test('narrows what a user/ scope reaches for that user, and leaves other users to the scope alone', async () => {
    const doc = narrowed.as(await narrowed.token('user/Patient.rs', { fhirUser: 'Practitioner/doc1' }));
    assert.equal((await doc('GET', `${narrowed.base}/Patient/${mine}`)).status, 200);
    assert.equal((await doc('GET', `${narrowed.base}/Patient/${other}`)).status, 404);
    assert.equal((await doc('GET', `${narrowed.base}/Patient?_total=accurate`)).body.total, 1);
    const nurse = narrowed.as(await narrowed.token('user/Patient.rs', { fhirUser: 'Practitioner/nurse2' }));
    assert.equal((await nurse('GET', `${narrowed.base}/Patient/${other}`)).status, 200);
  });
});

describe('a configured origin list', () => {
  let listed: SmartServer;
  before(async () => {
    listed = await startSmartServer({ VESTA_CORS_ORIGINS: 'https://app.example.org' });
  });
  after(async () => {
    await listed.close();
  });

  test('allows the listed origin and gives others no CORS headers', async () => {
    const ok = await fetch(`${listed.base}/metadata`, { headers: { Origin: 'https://app.example.org' } });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.org');
    // The CapabilityStatement is large enough to be compressed, so Vary lists Accept-Encoding too.
    assert.deepEqual(ok.headers.get('vary')?.split(/,\s*/).filter((v) => v !== 'Accept-Encoding'), ['Origin']);
    const other = await fetch(`${listed.base}/metadata`, { headers: { Origin: 'https://evil.example.org' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});
