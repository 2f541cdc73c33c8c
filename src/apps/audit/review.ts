/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The privacy officer's audit review page (issue 13, item 6), run in the browser: a SMART app launched against
 * Vesta's own authorization server with `user/AuditEvent.rs` through the official `fhirclient` library (loaded
 * by the page as the global FHIR). It lists recent accesses, filters them by patient, user, app, action, outcome
 * and date, shows one in plain words and draws accesses per day. It builds the DOM with textContent only: record
 * values never become HTML.
 */

interface Coding { system?: string; code?: string; display?: string }
interface Reference { reference?: string; display?: string }
interface AuditEvent {
  id: string;
  subtype?: Coding[];
  action?: string;
  recorded: string;
  outcome?: string;
  outcomeDesc?: string;
  agent?: { who?: Reference; requestor?: boolean; network?: { address?: string }; type?: { coding?: Coding[] } }[];
  entity?: { what?: Reference; role?: Coding; query?: string }[];
}
interface SmartClient {
  request(url: string, opts?: { pageLimit?: number; flat?: boolean }): Promise<unknown>;
  getFhirUser(): string | undefined;
}
declare const FHIR: {
  oauth2: {
    authorize(o: { clientId: string; scope: string; redirectUri: string; iss: string }): Promise<void>;
    ready(): Promise<SmartClient>;
  };
};

const config = document.getElementById('app-config')!.dataset as { clientId: string; scope: string; fhirBase: string };

const VERBS: Record<string, string> = {
  read: 'read', vread: 'read a past version of', 'search-type': 'searched', 'search-system': 'searched across types',
  create: 'created', update: 'updated', patch: 'changed', delete: 'deleted', 'history-instance': 'viewed the history of',
  'history-type': 'viewed the history of', 'history-system': 'viewed the history of the server', operation: 'ran an operation on',
  capabilities: 'asked what the server supports', transaction: 'sent a transaction', batch: 'sent a batch',
  'smart-configuration': 'read the SMART configuration', '110122': 'logged in', '110123': 'logged out', lockout: 'was locked out',
  consent: 'answered a consent request', 'client-authentication': 'authenticated an app', 'token-issued': 'was issued an access token',
  'token-refreshed': 'refreshed an access token', 'token-introspected': 'had a token checked', 'token-revoked': 'revoked a token',
  'audit-pruned': 'pruned old audit records',
};
const OUTCOMES: Record<string, string> = { '0': 'succeeded', '4': 'was refused', '8': 'failed (server error)', '12': 'failed (server unavailable)' };

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const userOf = (e: AuditEvent): string => {
  const a = e.agent?.find((x) => x.requestor);
  return a?.who?.reference ?? a?.who?.display ?? 'no user (system client or anonymous)';
};
const appOf = (e: AuditEvent): string => e.agent?.[1]?.who?.display ?? 'unknown app';
const addressOf = (e: AuditEvent): string => e.agent?.find((x) => x.network?.address)?.network?.address ?? 'unknown address';
const subtypeOf = (e: AuditEvent): string => e.subtype?.[0]?.code ?? 'access';
const resourcesOf = (e: AuditEvent): string[] =>
  (e.entity ?? []).filter((x) => x.role?.code === '4').map((x) => (x.what?.reference ?? '').replace(/\/_history\/\d+$/, ''));
const patientsOf = (e: AuditEvent): string[] =>
  (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference ?? '');

/** One event in plain words: who did what to which records, through which app, from where, when, and how it ended. */
function sentence(e: AuditEvent): string {
  const what = resourcesOf(e);
  const target = what.length === 0 ? '' : what.length === 1 ? ` ${what[0]}` : ` ${what.length} records`;
  const patients = patientsOf(e);
  const others = patients.filter((p) => !what.includes(p));
  const about = others.length > 0 ? ` of ${others.join(', ')}` : '';
  const when = new Date(e.recorded).toLocaleString();
  const outcome = OUTCOMES[e.outcome ?? '0'] ?? 'ended';
  return `${userOf(e)} ${VERBS[subtypeOf(e)] ?? subtypeOf(e)}${target}${about} through ${appOf(e)} from ${addressOf(e)} on ${when}; it ${outcome}`
    + `${e.outcomeDesc ? ` (${e.outcomeDesc})` : ''}.`;
}

function query(): string {
  const p = new URLSearchParams([['_sort', '-date'], ['_count', '200']]);
  const v = (id: string): string => ($<HTMLInputElement>(id).value ?? '').trim();
  const patient = v('f-patient');
  if (patient) p.set('patient', patient.includes('/') ? patient : `Patient/${patient}`);
  if (v('f-user')) p.set('agent', v('f-user'));
  if (v('f-app')) p.set('agent-name', v('f-app'));
  if (v('f-action')) p.set('action', v('f-action'));
  if (v('f-outcome')) p.set('outcome', v('f-outcome'));
  if (v('f-from')) p.append('date', `ge${v('f-from')}`);
  if (v('f-to')) p.append('date', `le${v('f-to')}`);
  return `AuditEvent?${p.toString()}`;
}

function showDetail(e: AuditEvent): void {
  const box = $('detail');
  box.replaceChildren(el('h2', 'Access'), el('p', sentence(e), 'sentence'));
  const dl = el('dl');
  const row = (k: string, v: string): void => {
    dl.append(el('dt', k), el('dd', v));
  };
  row('When', e.recorded);
  row('User', userOf(e));
  row('App', appOf(e));
  row('From', addressOf(e));
  row('Interaction', subtypeOf(e));
  row('Outcome', `${OUTCOMES[e.outcome ?? '0'] ?? e.outcome}${e.outcomeDesc ? `: ${e.outcomeDesc}` : ''}`);
  row('Records', resourcesOf(e).join(', ') || 'none');
  row('Patients', patientsOf(e).join(', ') || 'none');
  row('AuditEvent', `AuditEvent/${e.id}`);
  box.append(dl);
  box.hidden = false;
  box.focus();
}

function drawTable(events: AuditEvent[]): void {
  const body = $('rows');
  body.replaceChildren();
  for (const e of events) {
    const tr = el('tr');
    tr.tabIndex = 0;
    tr.append(el('td', new Date(e.recorded).toLocaleString()), el('td', userOf(e)), el('td', appOf(e)),
      el('td', `${VERBS[subtypeOf(e)] ?? subtypeOf(e)} ${resourcesOf(e).slice(0, 2).join(', ')}${resourcesOf(e).length > 2 ? '…' : ''}`),
      el('td', patientsOf(e).join(', ')), el('td', OUTCOMES[e.outcome ?? '0'] ?? '', e.outcome === '0' ? 'ok' : 'bad'));
    tr.addEventListener('click', () => showDetail(e));
    tr.addEventListener('keydown', (k) => {
      if (k.key === 'Enter') showDetail(e);
    });
    body.append(tr);
  }
  $('count').textContent = `${events.length} access${events.length === 1 ? '' : 'es'}`;
}

/** Accesses per day as SVG bars (most recent 30 days that have any). */
function drawChart(events: AuditEvent[]): void {
  const perDay = new Map<string, number>();
  for (const e of events) {
    const day = e.recorded.slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  const days = [...perDay.keys()].sort().slice(-30);
  const max = Math.max(1, ...days.map((d) => perDay.get(d)!));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const width = Math.max(300, days.length * 40);
  svg.setAttribute('viewBox', `0 0 ${width} 160`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Accesses per day: ${days.map((d) => `${d}: ${perDay.get(d)}`).join('; ')}`);
  days.forEach((d, i) => {
    const n = perDay.get(d)!;
    const h = Math.round((n / max) * 110);
    const bar = document.createElementNS(ns, 'rect');
    bar.setAttribute('x', String(i * 40 + 8));
    bar.setAttribute('y', String(130 - h));
    bar.setAttribute('width', '24');
    bar.setAttribute('height', String(h));
    bar.setAttribute('class', 'bar');
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', String(i * 40 + 20));
    label.setAttribute('y', '148');
    label.setAttribute('text-anchor', 'middle');
    label.textContent = d.slice(5);
    const value = document.createElementNS(ns, 'text');
    value.setAttribute('x', String(i * 40 + 20));
    value.setAttribute('y', String(125 - h));
    value.setAttribute('text-anchor', 'middle');
    value.textContent = String(n);
    svg.append(bar, label, value);
  });
  $('chart').replaceChildren(svg);
}

async function load(client: SmartClient): Promise<void> {
  const status = $('status');
  status.textContent = 'Loading…';
  try {
    const bundle = (await client.request(query())) as { entry?: { resource: AuditEvent }[] };
    const events = (bundle.entry ?? []).map((x) => x.resource);
    drawTable(events);
    drawChart(events);
    status.textContent = '';
    document.body.dataset.loaded = String(events.length);
  } catch (e) {
    status.textContent = `Could not load the audit trail: ${(e as Error).message}`;
    document.body.dataset.loaded = 'error';
  }
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error') && !sessionStorage.getItem('SMART_KEY')) {
    await FHIR.oauth2.authorize({ clientId: config.clientId, scope: config.scope, redirectUri: location.pathname, iss: config.fhirBase });
    return;
  }
  const client = await FHIR.oauth2.ready();
  $('who').textContent = `Signed in as ${client.getFhirUser() ?? 'a user'}`;
  $('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load(client);
  });
  await load(client);
}

main().catch((e: unknown) => {
  $('status').textContent = `Sign-in failed: ${(e as Error).message}`;
  document.body.dataset.loaded = 'error';
});
