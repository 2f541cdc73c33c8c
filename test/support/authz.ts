import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { ClientRegistration } from '../../src/auth/server/clients.js';
import { noteRequest } from './log-scan.js';
import { startSmartServer } from './smart.js';
import type { SmartServer } from './smart.js';

/** A SMART server with its built-in authorization server, and helpers to register clients and users. */
export interface AuthzServer extends SmartServer {
  /** Registers a client; returns its id and secret (confidential). */
  client(reg: Partial<ClientRegistration> & { type: ClientRegistration['type'] }): Promise<{ clientId: string; secret?: string }>;
  user(username: string, password: string, fhirUser?: string): Promise<void>;
  /** `${root}/auth` */
  issuer: string;
}

export const REDIRECT = 'http://127.0.0.1:9/callback';
export const APP_SCOPES = 'launch launch/patient openid fhirUser profile offline_access online_access patient/*.rs patient/*.read user/*.rs';

/** Starts Vesta with VESTA_AUTH=builtin and its authorization server. */
export async function startAuthzServer(env: NodeJS.ProcessEnv = {}): Promise<AuthzServer> {
  const srv = await startSmartServer(env);
  const as = srv.app.authServer;
  assert.ok(as, 'builtin mode has an authorization server');
  return Object.assign(srv, {
    issuer: `${srv.root}/auth`,
    async client(reg: Partial<ClientRegistration> & { type: ClientRegistration['type'] }) {
      const { client, secret } = await as.clients.add({
        name: reg.name ?? 'Test App', scopes: reg.scopes ?? APP_SCOPES,
        ...(reg.type === 'backend' ? {} : { redirectUris: reg.redirectUris ?? [REDIRECT] }), ...reg,
      });
      return { clientId: client.clientId, ...(secret ? { secret } : {}) };
    },
    async user(username: string, password: string, fhirUser?: string) {
      await as.users.add(username, password, fhirUser);
    },
  });
}

/** A PKCE verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A browser without a browser: follows the login, picker and consent pages with a cookie jar. */
export class PageClient {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly root: string) {}

  async send(method: string, url: string, form?: URLSearchParams | Record<string, string>): Promise<{ status: number; location: string | null; text: string; headers: Headers }> {
    const abs = url.startsWith('http') ? url : `${this.root}${url}`;
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = (form instanceof URLSearchParams ? form : new URLSearchParams(form)).toString();
    }
    noteRequest(abs, headers, body);
    const res = await fetch(abs, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers };
  }

  forgetCookies(): void {
    this.cookies.clear();
  }
}

/** The CSRF token of a page's form. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, `no CSRF token on the page:\n${html.slice(0, 500)}`);
  return m[1]!;
}

/** What one walk through the authorization endpoint gives. */
export interface FlowOptions {
  clientId: string;
  scope: string;
  username: string;
  password: string;
  /** The patient to pick (standalone launch with launch/patient). */
  pick?: string;
  launch?: string;
  /** Scopes to approve (default all shown); `deny` to deny. */
  approve?: string[] | 'deny';
  redirectUri?: string;
  challenge: string;
  state?: string;
  aud?: string;
  nonce?: string;
}

/** Walks authorize → login → (picker) → consent; returns the final redirect's parameters. */
export async function authorize(srv: Pick<AuthzServer, 'root' | 'base'>, o: FlowOptions, pages = new PageClient(srv.root)): Promise<URLSearchParams> {
  const q = new URLSearchParams({
    response_type: 'code', client_id: o.clientId, redirect_uri: o.redirectUri ?? REDIRECT, scope: o.scope, state: o.state ?? 'st-1',
    aud: o.aud ?? srv.base, code_challenge: o.challenge, code_challenge_method: 'S256',
  });
  if (o.launch) q.set('launch', o.launch);
  if (o.nonce) q.set('nonce', o.nonce);
  const start = await pages.send('GET', `/auth/authorize?${q}`);
  assert.equal(start.status, 303, start.text);
  let location = start.location!;
  if (!location.startsWith('/auth/interaction/')) return new URL(location).searchParams;
  const login = await pages.send('GET', location);
  assert.match(login.text, /Sign in/);
  const afterLogin = await pages.send('POST', `${location}/login`, { csrf: csrfOf(login.text), username: o.username, password: o.password });
  assert.equal(afterLogin.status, 303, afterLogin.text);
  let page = await pages.send('GET', location);
  if (/Choose a patient/.test(page.text)) {
    assert.ok(o.pick, 'the flow shows a patient picker');
    const picked = await pages.send('POST', `${location}/patient`, { csrf: csrfOf(page.text), patient: o.pick });
    assert.equal(picked.status, 303, picked.text);
    page = await pages.send('GET', location);
  }
  assert.match(page.text, /Allow access\?/);
  const form = new URLSearchParams({ csrf: csrfOf(page.text) });
  if (o.approve === 'deny') form.set('decision', 'deny');
  else {
    form.set('decision', 'approve');
    const shown = [...page.text.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    for (const s of o.approve ?? shown) form.append('scope', s);
  }
  const done = await pages.send('POST', `${location}/consent`, form);
  assert.equal(done.status, 303, done.text);
  location = done.location!;
  return new URL(location).searchParams;
}

/** POSTs a form to the token endpoint (or another), with optional Basic credentials. */
export async function tokenRequest(srv: Pick<AuthzServer, 'issuer'>, form: Record<string, string>, opts: { basic?: [string, string]; path?: string } = {}): Promise<{ status: number; body: Record<string, any>; headers: Headers }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (opts.basic) headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(opts.basic[0])}:${encodeURIComponent(opts.basic[1])}`).toString('base64')}`;
  const body = new URLSearchParams(form).toString();
  noteRequest(`${srv.issuer}${opts.path ?? '/token'}`, headers, body);
  const res = await fetch(`${srv.issuer}${opts.path ?? '/token'}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}
