import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSmartServer } from '../support/smart.js';
import type { SmartServer } from '../support/smart.js';

/**
 * Reviewing the audit trail over HTTP (issue 13, items 3–5): who may read AuditEvents (a privacy officer's
 * user/AuditEvent.rs, a SIEM's system/AuditEvent.rs, a patient only its own accounting of disclosures), the review
 * searches with sorting and paging, Patient/$audit and AuditEvent/$verify.
 */

let srv: SmartServer;
let admin = '';
let alice = '';
let bob = '';

type Bundle = { total?: number; entry?: { resource: Record<string, any> }[]; link?: { relation: string; url: string }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

const events = (b: Bundle): Record<string, any>[] => (b.entry ?? []).map((e) => e.resource); // eslint-disable-line @typescript-eslint/no-explicit-any
const patientsOf = (e: Record<string, any>): string[] => // eslint-disable-line @typescript-eslint/no-explicit-any
  (e.entity ?? []).filter((x: { role?: { code: string } }) => x.role?.code === '1').map((x: { what: { reference: string } }) => x.what.reference);

before(async () => {
  srv = await startSmartServer();
  admin = await srv.token('user/*.cruds', { fhirUser: 'Practitioner/admin-1', clientId: 'ehr-app' });
  const call = srv.as(admin);
  alice = (await call('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', gender: 'female' } })).body.id;
  bob = (await call('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', gender: 'male' } })).body.id;
  // A clinician reads Alice twice and Bob once through a second app.
  const doc = await srv.token('user/Patient.rs', { fhirUser: 'Practitioner/doc-7', clientId: 'chart-app' });
  for (const id of [alice, alice, bob]) assert.equal((await srv.as(doc)('GET', `${srv.base}/Patient/${id}`)).status, 200);
  assert.equal((await srv.as(doc)('GET', `${srv.base}/Observation?subject=Patient/${alice}`)).status, 403);
});
after(async () => {
  await srv.close();
});

describe('who may read the audit trail', () => {
  test('a privacy officer (user/AuditEvent.rs) searches every AuditEvent', async () => {
    const po = await srv.token('user/AuditEvent.rs', { fhirUser: 'Practitioner/po-1', clientId: 'audit-app' });
    const r = await srv.as(po)('GET', `${srv.base}/AuditEvent?_count=200`);
    assert.equal(r.status, 200, r.text);
    const pats = new Set(events(r.body).flatMap(patientsOf));
    assert.ok(pats.has(`Patient/${alice}`) && pats.has(`Patient/${bob}`));
    const one = events(r.body)[0]!;
    assert.equal((await srv.as(po)('GET', `${srv.base}/AuditEvent/${one.id}`)).status, 200);
  });

  test('a SIEM (system/AuditEvent.rs) reads them too; a token without AuditEvent is refused', async () => {
    const siem = await srv.token('system/AuditEvent.rs', { clientId: 'siem' });
    assert.equal((await srv.as(siem)('GET', `${srv.base}/AuditEvent?_count=1`)).status, 200);
    const nurse = await srv.token('user/Patient.rs user/Observation.rs');
    const r = await srv.as(nurse)('GET', `${srv.base}/AuditEvent`);
    assert.equal(r.status, 403);
    assert.equal(r.body.resourceType, 'OperationOutcome');
  });

  test('a patient sees only the AuditEvents about itself, never another patient\'s', async () => {
    const app = await srv.token('patient/AuditEvent.rs', { patient: alice, clientId: 'phr-app' });
    const mine = await srv.as(app)('GET', `${srv.base}/AuditEvent?_count=200`);
    assert.equal(mine.status, 200, mine.text);
    const list = events(mine.body);
    assert.ok(list.length >= 2, `alice was read at least twice, saw ${list.length}`);
    for (const e of list) assert.deepEqual(patientsOf(e), [`Patient/${alice}`]);
    // Bob's own AuditEvents are invisible: searching for them finds none about Bob alone, reading one answers 404;
    // an event about both (a privacy officer's list) shows Alice only Alice.
    const theirs = await srv.as(app)('GET', `${srv.base}/AuditEvent?patient=Patient/${bob}`);
    assert.equal(theirs.status, 200);
    for (const e of events(theirs.body)) assert.deepEqual(patientsOf(e), [`Patient/${alice}`]);
    const po = await srv.token('user/AuditEvent.rs');
    const bobEvent = events((await srv.as(po)('GET', `${srv.base}/AuditEvent?entity=Patient/${bob}&subtype=read&_count=1`)).body)[0]!;
    assert.equal((await srv.as(app)('GET', `${srv.base}/AuditEvent/${bobEvent.id}`)).status, 404);
    // Its own accounting of disclosures, not Bob's.
    assert.equal((await srv.as(app)('GET', `${srv.base}/Patient/${alice}/$audit`)).status, 200);
    assert.equal((await srv.as(app)('GET', `${srv.base}/Patient/${bob}/$audit`)).status, 404);
  });

  test('nobody writes AuditEvents: create, update, patch and delete are 405, even with system/*.cud', async () => {
    const sys = await srv.token('system/*.cruds');
    const call = srv.as(sys);
    const po = await srv.token('user/AuditEvent.rs');
    const one = events((await srv.as(po)('GET', `${srv.base}/AuditEvent?_count=1`)).body)[0]!;
    const attempts: [string, string, unknown][] = [
      ['POST', 'AuditEvent', { resourceType: 'AuditEvent' }],
      ['PUT', `AuditEvent/${one.id}`, { ...one, outcome: '0' }],
      ['PATCH', `AuditEvent/${one.id}`, [{ op: 'replace', path: '/outcome', value: '0' }]],
      ['DELETE', `AuditEvent/${one.id}`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const headers: Record<string, string> = method === 'PATCH' ? { 'Content-Type': 'application/json-patch+json' } : {};
      const r = await call(method, `${srv.base}/${path}`, { ...(body !== undefined ? { body } : {}), headers });
      assert.equal(r.status, 405, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.resourceType, 'OperationOutcome');
    }
    const again = await srv.as(po)('GET', `${srv.base}/AuditEvent/${one.id}`);
    assert.deepEqual(again.body, one);
  });
});

describe('review searches', () => {
  let po = '';
  before(async () => {
    po = await srv.token('user/AuditEvent.rs', { fhirUser: 'Practitioner/po-1', clientId: 'audit-app' });
  });
  const search = async (q: string): Promise<Bundle> => {
    const r = await srv.as(po)('GET', `${srv.base}/AuditEvent?${q}`);
    assert.equal(r.status, 200, `${q}: ${r.text}`);
    return r.body as Bundle;
  };

  test('by patient, agent, entity, subtype, action and outcome', async () => {
    const aliceReads = events(await search(`patient=Patient/${alice}&subtype=read&agent=Practitioner/doc-7`));
    assert.equal(aliceReads.length, 2);
    for (const e of aliceReads) {
      assert.equal(e.subtype[0].code, 'read');
      assert.equal(e.action, 'R');
      assert.deepEqual(e.agent[0].who, { reference: 'Practitioner/doc-7' });
    }
    assert.equal(events(await search(`entity=Patient/${bob}&subtype=read&agent=Practitioner/doc-7`)).length, 1);
    const denied = events(await search('outcome=4&agent=Practitioner/doc-7'));
    assert.equal(denied.length, 1);
    assert.equal(denied[0]!.subtype[0].code, 'search-type');
    assert.equal(events(await search('action=C&entity-type=Patient&_count=50')).length, 2);
    assert.ok(events(await search('type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest&_count=1')).length === 1);
  });

  test('by date, newest first, paged with next links that keep every filter', async () => {
    const since = new Date(Date.now() - 60 * 60 * 1000).toISOString();
    const all = events(await search(`date=ge${since}&_count=500&_sort=-date`));
    assert.ok(all.length >= 6);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.recorded >= all[i]!.recorded, 'newest first');
    const seen: string[] = [];
    let page = await search(`date=ge${since}&_count=2&_sort=-date`);
    for (let n = 0; n < 100; n++) {
      seen.push(...events(page).map((e) => e.id as string));
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      if (!next) break;
      assert.match(next, /date=ge/);
      const r = await srv.as(po)('GET', next);
      assert.equal(r.status, 200);
      page = r.body as Bundle;
    }
    // Paging sees the same events in the same order (reading them appended newer ones, which a ge-window may add at the front).
    const firstPageStart = seen.indexOf(all[0]!.id);
    assert.ok(firstPageStart >= 0);
    assert.deepEqual(seen.slice(firstPageStart, firstPageStart + all.length), all.map((e) => e.id));
  });

  test('an unsupported parameter is a 400 naming it', async () => {
    const r = await srv.as(po)('GET', `${srv.base}/AuditEvent?policy=x`);
    assert.equal(r.status, 400);
    assert.equal(r.body.resourceType, 'OperationOutcome');
  });

  test('Patient/$audit: the accounting of disclosures, who saw what, when, through which app', async () => {
    const r = await srv.as(po)('GET', `${srv.base}/Patient/${alice}/$audit?_count=100`);
    assert.equal(r.status, 200, r.text);
    const list = events(r.body);
    assert.ok(list.length >= 3);
    for (const e of list) assert.ok(patientsOf(e).includes(`Patient/${alice}`));
    const reads = list.filter((e) => e.subtype[0].code === 'read' && e.agent[0].who?.reference === 'Practitioner/doc-7');
    assert.equal(reads.length, 2);
    assert.equal(reads[0]!.agent[1].who.display, 'chart-app');
  });
});

describe('AuditEvent/$verify', () => {
  test('an administrator (system scope) verifies the chain: intact', async () => {
    const sys = await srv.token('system/AuditEvent.rs');
    const r = await srv.as(sys)('GET', `${srv.base}/AuditEvent/$verify`);
    assert.equal(r.status, 200, r.text);
    const p = Object.fromEntries((r.body.parameter as { name: string; [k: string]: unknown }[]).map((x) => [x.name, x]));
    assert.equal(p.intact!.valueBoolean, true);
    assert.ok((p.checked!.valueInteger as number) > 5);
  });

  test('a user token, even a privacy officer\'s, is refused: $verify is administrative', async () => {
    const po = await srv.token('user/AuditEvent.rs');
    assert.equal((await srv.as(po)('GET', `${srv.base}/AuditEvent/$verify`)).status, 403);
  });
});
