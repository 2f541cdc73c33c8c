import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { browserMissing, launchChromium, SHOTS } from '../support/browser.js';
import { startAuthzServer } from '../support/authz.js';
import type { AuthzServer } from '../support/authz.js';
import { seedPatient } from '../support/smart.js';
import type { PatientRecord } from '../support/smart.js';

/**
 * The real SMART JavaScript client (`fhirclient`, from npm) in headless Chromium (Debian's package, driven by
 * playwright-core) against Vesta's built-in authorization server: a standalone launch (log in, pick a patient by name,
 * approve, read that patient's Observations), an EHR launch with a launch context made by the `vesta` CLI, and a denied
 * consent. Screenshots of the pages go to dist/test-output/browser/ (git-ignored) for a person to look at.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..', '..');
const CLI = path.join(REPO, 'dist', 'src', 'cli', 'vesta.js');
const missing = browserMissing('browser tests');

let srv: AuthzServer;
let a: PatientRecord;
let b: PatientRecord;
let appServer: http.Server;
let appOrigin = '';
let clientId = '';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let browser: any;

const SCOPE = 'launch/patient openid fhirUser patient/*.rs offline_access';

before(async () => {
  if (missing) return;
  srv = await startAuthzServer();
  const admin = await srv.token('system/*.cruds');
  a = await seedPatient(srv, admin, 'Ada');
  b = await seedPatient(srv, admin, 'Bea');
  await srv.user('dr-who', 'correct horse battery', 'Practitioner/doc-1');
  // The README's example app (docs/smart-app/serve.mjs), so the walkthrough's app is the tested one.
  const example = await import(pathToFileURL(path.join(REPO, 'docs', 'smart-app', 'serve.mjs')).href) as { smartApp(o: { clientId: () => string; scope: string }): http.RequestListener };
  appServer = http.createServer(example.smartApp({ clientId: () => clientId, scope: SCOPE }));
  appServer.listen(0, '127.0.0.1');
  await new Promise((r) => appServer.once('listening', r));
  // Another origin than Vesta's (another port), as a real app would be: CORS and form-action are exercised.
  appOrigin = `http://localhost:${(appServer.address() as AddressInfo).port}`;
  clientId = (await srv.client({ type: 'public', name: 'Browser Test App', redirectUris: [`${appOrigin}/index.html`], scopes: `launch ${SCOPE}` })).clientId;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  appServer?.close();
  await srv?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function login(page: any, shot: string): Promise<void> {
  await page.waitForSelector('#username');
  await page.fill('#username', 'dr-who');
  await page.fill('#password', 'correct horse battery');
  await page.screenshot({ path: path.join(SHOTS, `${shot}-login.png`), fullPage: true });
  await page.click('button[type=submit]');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function result(page: any): Promise<{ done: string; text: string }> {
  await page.waitForSelector('#status[data-done]', { timeout: 30_000 });
  return { done: await page.getAttribute('#status', 'data-done'), text: await page.textContent('#status') };
}

describe('fhirclient in Chromium', { skip: missing }, () => {
  test('standalone launch: log in, pick a patient by name, approve, read that patient\'s Observations', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${appOrigin}/launch.html?server=${encodeURIComponent(srv.base)}`);
    await login(page, 'standalone');
    await page.waitForSelector('#name');
    await page.fill('#name', 'FamilyAda');
    await page.click('button.secondary');
    await page.waitForSelector('input[name=patient]');
    assert.match(await page.textContent('main'), /FamilyAda/);
    assert.doesNotMatch(await page.textContent('main'), /FamilyBea/);
    await page.screenshot({ path: path.join(SHOTS, 'standalone-picker.png'), fullPage: true });
    await page.check('input[name=patient]');
    await page.click('button[type=submit]:not(.secondary)');
    await page.waitForSelector('text=Allow access?');
    assert.match(await page.textContent('main'), /Read your lab results, vital signs and other observations|Read your health records/);
    await page.screenshot({ path: path.join(SHOTS, 'standalone-consent.png'), fullPage: true });
    await page.click('button[value=approve]');
    const r = await result(page);
    assert.equal(r.done, 'ok', r.text);
    const data = JSON.parse(r.text) as { patient: string; name: string; user: string; observations: string[] };
    assert.equal(data.patient, a.patient);
    assert.equal(data.name, 'Given FamilyAda');
    assert.equal(data.user, 'Practitioner/doc-1');
    assert.equal(data.observations.length, 2);
    assert.ok(data.observations.every((ref) => ref === `Patient/${a.patient}`));
    await page.screenshot({ path: path.join(SHOTS, 'standalone-app.png'), fullPage: true });
    await context.close();
  });

  test('EHR launch with a launch context made by `vesta launch create`', async () => {
    const env = { PATH: process.env.PATH ?? '', VESTA_DATA_DIR: srv.dataDir, VESTA_BASE_URL: srv.base, LOG_LEVEL: 'error' };
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'launch', 'create', '--patient', b.patient, '--encounter', b.encounter, '--json'], { env });
    const { launch } = JSON.parse(stdout) as { launch: string };
    const context = await browser.newContext();
    const page = await context.newPage();
    const scope = 'launch openid fhirUser patient/*.rs';
    await page.goto(`${appOrigin}/launch.html?iss=${encodeURIComponent(srv.base)}&launch=${encodeURIComponent(launch)}&scope=${encodeURIComponent(scope)}`);
    await login(page, 'ehr');
    await page.waitForSelector('text=Allow access?');
    await page.screenshot({ path: path.join(SHOTS, 'ehr-consent.png'), fullPage: true });
    await page.click('button[value=approve]');
    const r = await result(page);
    assert.equal(r.done, 'ok', r.text);
    const data = JSON.parse(r.text) as { patient: string; encounter: string; observations: string[] };
    assert.equal(data.patient, b.patient);
    assert.equal(data.encounter, b.encounter);
    assert.equal(data.observations.length, 2);
    await context.close();
  });

  test('a denied consent reaches the app as access_denied, and no token is issued', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${appOrigin}/launch.html?server=${encodeURIComponent(srv.base)}`);
    await login(page, 'deny');
    await page.waitForSelector('input[name=patient]');
    await page.check('input[name=patient]');
    await page.click('button[type=submit]:not(.secondary)');
    await page.waitForSelector('text=Allow access?');
    await page.click('button[value=deny]');
    const r = await result(page);
    assert.equal(r.done, 'error');
    assert.match(r.text, /denied/i);
    assert.match(page.url(), /error=access_denied/);
    await context.close();
  });
});
