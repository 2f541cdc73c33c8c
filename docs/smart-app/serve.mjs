#!/usr/bin/env node
/**
 * A minimal SMART app for trying Vesta's built-in authorization server (README, "A first SMART app launch"), and the
 * app the browser test drives. It uses the real SMART JavaScript client (fhirclient, from npm) and serves three
 * things: fhirclient's browser build, /launch.html (starts the launch) and /index.html (after the redirect: shows
 * the patient and reads their Observations).
 *
 *   node docs/smart-app/serve.mjs --client-id ID [--port 9090] [--scope "launch/patient openid fhirUser patient/*.rs"]
 *
 * Standalone launch: open http://localhost:9090/launch.html?server=<FHIR base>
 * EHR launch:        open http://localhost:9090/launch.html?iss=<FHIR base>&launch=<value from `vesta launch create`>
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUNDLE = path.join(HERE, '..', '..', 'node_modules', 'fhirclient', 'build', 'fhir-client.js');
export const DEFAULT_SCOPE = 'launch/patient openid fhirUser patient/*.rs offline_access';

const page = (title, script) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><script src="/fhir-client.js"></script></head>
<body><h1>${title}</h1><pre id="status">working…</pre><script>${script}</script></body></html>`;

/** The app's request handler; `clientId()` is read at each launch (a test registers the client after listening). */
export function smartApp({ clientId, scope = DEFAULT_SCOPE }) {
  const bundle = fs.readFileSync(BUNDLE);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/fhir-client.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle);
    if (url.pathname === '/' || url.pathname === '/launch.html') {
      // EHR launch: iss and launch come in the URL (fhirclient reads them); standalone: the user names the server.
      return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page('Launching…', `
        const p = new URLSearchParams(location.search);
        FHIR.oauth2.authorize({ clientId: ${JSON.stringify(clientId())}, scope: p.get('scope') || ${JSON.stringify(scope)},
          redirectUri: '/index.html', ...(p.get('launch') ? {} : { iss: p.get('server') }) });`));
    }
    if (url.pathname === '/index.html') {
      return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page('Example SMART app', `
        const out = document.getElementById('status');
        FHIR.oauth2.ready().then(async (client) => {
          const patient = await client.patient.read();
          const obs = await client.request('Observation?patient=' + client.patient.id, { flat: true });
          const name = (patient.name && patient.name[0]) ? [].concat(patient.name[0].given || [], patient.name[0].family || []).join(' ') : patient.id;
          out.textContent = JSON.stringify({ patient: client.patient.id, name, encounter: client.encounter.id, user: client.getFhirUser(),
            observations: obs.map((o) => o.subject.reference) }, null, 2);
          out.dataset.done = 'ok';
        }).catch((e) => { out.textContent = 'ERROR ' + e.message; out.dataset.done = 'error'; });`));
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { 'client-id': { type: 'string' }, port: { type: 'string', default: '9090' }, scope: { type: 'string' } } });
  if (!values['client-id']) {
    process.stderr.write('usage: node docs/smart-app/serve.mjs --client-id ID [--port 9090] [--scope "..."]\n');
    process.exit(2);
  }
  const id = values['client-id'];
  http.createServer(smartApp({ clientId: () => id, ...(values.scope ? { scope: values.scope } : {}) }))
    .listen(Number(values.port), '127.0.0.1', () => process.stdout.write(`example SMART app at http://localhost:${values.port}/launch.html\n`));
}
