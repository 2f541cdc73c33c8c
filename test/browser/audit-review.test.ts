import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { browserMissing, launchChromium, SHOTS } from '../support/browser.js';
import { startAuthzServer } from '../support/authz.js';
import type { AuthzServer } from '../support/authz.js';
import { seedPatient } from '../support/smart.js';
import type { PatientRecord } from '../support/smart.js';

/**
 * The privacy officer's review page (issue 13, item 6) in headless Chromium: /apps/audit/ signs in through Vesta's
 * own authorization server with fhirclient (login, consent to user/AuditEvent.rs), lists the accesses a clinician
 * made, filters them by patient and outcome, shows one in plain words and draws accesses per day. Screenshots go to
 * dist/test-output/browser/ (git-ignored) for a person to look at.
 */

const missing = browserMissing('the audit review browser test');

let srv: AuthzServer;
let ada: PatientRecord;
let bea: PatientRecord;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let browser: any;

before(async () => {
  if (missing) return;
  srv = await startAuthzServer();
  const admin = await srv.token('system/*.cruds');
  ada = await seedPatient(srv, admin, 'Ada');
  bea = await seedPatient(srv, admin, 'Bea');
  // A clinician reads Ada's chart, and is refused Bea's observations by a narrow token.
  const doc = await srv.token('user/Patient.rs user/Observation.rs', { fhirUser: 'Practitioner/doc-9', clientId: 'chart-app' });
  assert.equal((await srv.as(doc)('GET', `${srv.base}/Patient/${ada.patient}`)).status, 200);
  assert.equal((await srv.as(doc)('GET', `${srv.base}/Observation?patient=${ada.patient}`)).status, 200);
  const narrow = await srv.token('user/Patient.rs', { fhirUser: 'Practitioner/doc-9', clientId: 'chart-app' });
  assert.equal((await srv.as(narrow)('GET', `${srv.base}/Observation?patient=${bea.patient}`)).status, 403);
  await srv.user('privacy-officer', 'audit all the things', 'Practitioner/po-1');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await srv?.close();
});

describe('the audit review page', { skip: missing }, () => {
  test('a privacy officer signs in, sees who saw what, filters, reads one access in plain words', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e: Error) => errors.push(e.message));
    page.on('response', (r: { status(): number; url(): string }) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${srv.root}/apps/audit/`);
    await page.waitForSelector('#username');
    await page.fill('#username', 'privacy-officer');
    await page.fill('#password', 'audit all the things');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Allow access?');
    assert.match(await page.textContent('main'), /access records/);
    await page.click('button[value=approve]');
    await page.waitForSelector('body[data-loaded]', { timeout: 30_000 });
    assert.notEqual(await page.getAttribute('body', 'data-loaded'), 'error', await page.textContent('#status'));
    assert.match(await page.textContent('#who'), /Practitioner\/po-1/);
    const table = await page.textContent('#rows');
    assert.match(table, /Practitioner\/doc-9/);
    assert.match(table, /chart-app/);
    assert.match(table, /was refused/);
    assert.match(table, /logged in/);
    assert.ok(await page.$('#chart svg rect'), 'the chart has bars');
    await page.screenshot({ path: path.join(SHOTS, 'audit-review.png'), fullPage: true });

    // Filter: Ada's record, refused accesses only → none; Ada's record → the clinician's read of her is there.
    await page.fill('#f-patient', ada.patient);
    await page.selectOption('#f-outcome', '4');
    await page.evaluate(() => document.body.removeAttribute('data-loaded'));
    await page.click('#filters button[type=submit]');
    await page.waitForSelector('body[data-loaded]');
    assert.equal(await page.getAttribute('body', 'data-loaded'), '0');
    await page.selectOption('#f-outcome', '');
    await page.fill('#f-user', 'Practitioner/doc-9');
    await page.evaluate(() => document.body.removeAttribute('data-loaded'));
    await page.click('#filters button[type=submit]');
    await page.waitForSelector('body[data-loaded]');
    assert.equal(await page.getAttribute('body', 'data-loaded'), '2');
    const rows = await page.$$('#rows tr');
    for (const r of rows) assert.match(await r.textContent(), new RegExp(ada.patient));

    // One access in plain words.
    await page.click('#rows tr:last-child');
    const sentence = await page.textContent('#detail .sentence');
    assert.match(sentence, new RegExp(`Practitioner/doc-9 read Patient/${ada.patient} through chart-app from .+; it succeeded\\.`));
    await page.screenshot({ path: path.join(SHOTS, 'audit-review-detail.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the page is served with a strict CSP and no inline script', async () => {
    const res = await fetch(`${srv.root}/apps/audit/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(await res.text(), /<script>(?!<)/);
  });
});
