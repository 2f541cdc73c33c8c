import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Response, Router } from 'express';
import helmet from 'helmet';
import { applyHeaders, requestState } from '../request-context.js';

/** The audit review app as a registered OAuth client of Vesta's own authorization server. */
export const AUDIT_APP = {
  clientId: 'vesta-audit-review',
  name: 'Vesta audit review',
  path: '/apps/audit/',
  scopes: 'openid fhirUser user/AuditEvent.rs',
} as const;

const require = createRequire(import.meta.url);

/** Its own scripts, styles and API calls, nothing else; no inline script, no framing. */
const appCsp = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], connectSrc: ["'self'"], imgSrc: ["'self'"],
    baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"],
  },
});

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function page(fhirBase: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Audit review · Vesta</title><link rel="stylesheet" href="${AUDIT_APP.path}review.css">
<script src="${AUDIT_APP.path}fhir-client.js" defer></script><script src="${AUDIT_APP.path}review.js" type="module"></script></head>
<body><div id="app-config" hidden data-client-id="${escapeAttr(AUDIT_APP.clientId)}" data-scope="${escapeAttr(AUDIT_APP.scopes)}" data-fhir-base="${escapeAttr(fhirBase)}"></div>
<header><p class="brand">VESTA</p><h1>Audit review: who saw what</h1><p id="who" class="muted"></p></header>
<main>
<form id="filters" aria-label="Filters">
<label>Patient <input id="f-patient" placeholder="Patient id"></label>
<label>User <input id="f-user" placeholder="Practitioner/123"></label>
<label>App <input id="f-app" placeholder="client id"></label>
<label>Action <select id="f-action"><option value="">any</option><option value="R">read</option><option value="E">search or operation</option><option value="C">create</option><option value="U">update</option><option value="D">delete</option></select></label>
<label>Outcome <select id="f-outcome"><option value="">any</option><option value="0">succeeded</option><option value="4">refused</option><option value="8">server error</option><option value="12">server unavailable</option></select></label>
<label>From <input id="f-from" type="date"></label>
<label>To <input id="f-to" type="date"></label>
<button type="submit">Show accesses</button>
</form>
<p id="status" role="status" aria-live="polite">Signing in…</p>
<section aria-labelledby="chart-title"><h2 id="chart-title">Accesses per day</h2><div id="chart"></div></section>
<section id="detail" tabindex="-1" hidden aria-live="polite"></section>
<section aria-labelledby="list-title"><h2 id="list-title">Recent accesses <span id="count" class="muted"></span></h2>
<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">User</th><th scope="col">App</th><th scope="col">What</th><th scope="col">Patient</th><th scope="col">Outcome</th></tr></thead>
<tbody id="rows"></tbody></table></div></section>
</main></body></html>`;
}

const STYLES = `*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f4f6f8}
header,main{max-width:72rem;margin:0 auto;padding:1rem 1.25rem}.brand{margin:0;font-weight:700;color:#0b5cad;letter-spacing:.05em}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.25rem 0 .5rem}.muted{color:#5b6672;font-weight:400}
form{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.5rem 1rem;background:#fff;padding:1rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
label{display:flex;flex-direction:column;font-weight:600;font-size:.9rem}input,select{font:inherit;padding:.45rem;border:1px solid #6b7785;border-radius:4px;margin-top:.2rem}
button{align-self:end;padding:.6rem 1rem;font:inherit;border:0;border-radius:4px;background:#0b5cad;color:#fff;cursor:pointer;min-height:44px}
button:focus,input:focus,select:focus,tr:focus{outline:3px solid #f2a900;outline-offset:2px}
#chart,#detail,.scroll{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:.75rem}
#chart svg{width:100%;max-height:200px}.bar{fill:#0b5cad}#chart text{font-size:11px;fill:#1b1f24}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e1e6eb;vertical-align:top}
tbody tr{cursor:pointer}tbody tr:hover{background:#eef4fb}.ok{color:#1e6b34}.bad{color:#8a1c12;font-weight:600}
.sentence{font-size:1.05rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0;word-break:break-all}
`;

/** `/apps/audit/`: the audit review app's page, script, styles and its copy of fhirclient (no CDN). */
export function auditAppRoutes(fhirBase: string): Router {
  const r = express.Router();
  const html = page(fhirBase);
  // The compiled browser script (src/apps/audit/review.ts) and fhirclient's browser build, read once, and only on a
  // server that offers the app (the built-in authorization server is on).
  const SCRIPT = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'apps', 'audit', 'review.js'));
  const FHIRCLIENT = fs.readFileSync(require.resolve('fhirclient/build/fhir-client.min.js'));
  const send = (res: Response, route: string, type: string, body: string | Buffer, cache: string): void => {
    requestState(res).route = route;
    applyHeaders(res);
    appCsp(res.req, res, () => res.set({ 'Content-Type': type, 'Cache-Control': cache }).send(body));
  };
  r.get('/audit/', (_req, res) => send(res, '/apps/audit/', 'text/html; charset=utf-8', html, 'no-store'));
  r.get('/audit', (_req, res) => res.redirect(301, AUDIT_APP.path));
  r.get('/audit/review.js', (_req, res) => send(res, '/apps/audit/review.js', 'text/javascript; charset=utf-8', SCRIPT, 'public, max-age=300'));
  r.get('/audit/fhir-client.js', (_req, res) => send(res, '/apps/audit/fhir-client.js', 'text/javascript; charset=utf-8', FHIRCLIENT, 'public, max-age=3600'));
  r.get('/audit/review.css', (_req, res) => send(res, '/apps/audit/review.css', 'text/css; charset=utf-8', STYLES, 'public, max-age=300'));
  return r;
}
