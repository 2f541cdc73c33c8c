import type { AuthStateStore } from '../../store/auth-state.js';
import type { Auditor, SecurityEvent } from '../../vocabulary/access.js';
import type { ClientRegistry } from './clients.js';
import type { GrantStore } from './grants.js';
import type { LaunchContext, LaunchContexts } from './launches.js';
import { OAuthError } from './oauth-error.js';
import { allowedScopes } from './scope-rules.js';
import { randomToken, sameSecret } from './secrets.js';
import type { RequestMeta } from './token-service.js';
import type { User, UserDirectory } from './users.js';

/** The patients a logged-in user may pick (standalone launch), limited as the deployment's user policy says. */
export interface PatientDirectory {
  search(user: User, name: string, limit: number): Promise<PatientSummary[]>;
  visible(user: User, patientId: string): Promise<boolean>;
  /** The patient's name and birth date for the consent page (the patient is already in context). */
  summary(patientId: string): Promise<PatientSummary | undefined>;
}

/** What the picker shows of a patient. */
export interface PatientSummary {
  id: string;
  name: string;
  birthDate?: string;
}

/** Where an authorization request stands: log in, pick a patient, approve. */
export type Step = 'login' | 'patient' | 'consent';

/** An authorization request in progress (the "transaction"), bound to one browser by a cookie. */
export interface Transaction {
  clientId: string;
  clientName: string;
  redirectUri: string;
  state: string;
  scopes: string[];
  codeChallenge: string;
  nonce?: string;
  launch?: LaunchContext;
  step: Step;
  /** The CSRF token every form of this transaction carries. */
  csrf: string;
  /** The cookie value binding the transaction to the browser that started it. */
  browserKey: string;
  username?: string;
  subject?: string;
  fhirUser?: string;
  patient?: string;
  encounter?: string;
  authTime?: number;
}

/** How `begin` ended: a page to show (the redirect cannot be trusted), a redirect with an error, or a started flow. */
export type BeginResult =
  | { kind: 'page-error'; message: string }
  | { kind: 'redirect'; url: string }
  | { kind: 'started'; txId: string; browserKey: string };

const KIND = 'authz-tx';
/** A login-and-consent session lives ten minutes. */
const TX_LIFETIME_MS = 10 * 60_000;

/** A transaction that cannot continue (wrong browser, stale form, CSRF): shown on a page, never redirected. */
export class FlowError extends Error {
  override name = 'FlowError';
}

/** What the flow needs. */
export interface AuthorizationFlowDeps {
  state: AuthStateStore;
  clients: ClientRegistry;
  users: UserDirectory;
  launches: LaunchContexts;
  grants: GrantStore;
  patients: PatientDirectory;
  resourceTypes: ReadonlySet<string>;
  /** The FHIR base URL: the only `aud` accepted. */
  baseUrl: string;
  auditor: Auditor;
}

/**
 * The authorization endpoint's flow (RFC 6749 §4.1, RFC 7636, SMART App Launch 2.x): checks the request, then walks
 * the user through login, patient choice (standalone `launch/patient`) and consent, and ends in a redirect with a
 * code or an error. Errors before the client and its exact redirect URI are known are shown on a page.
 */
export class AuthorizationFlow {
  constructor(private readonly d: AuthorizationFlowDeps) {}

  async begin(p: URLSearchParams, meta: RequestMeta): Promise<BeginResult> {
    const clientId = p.get('client_id');
    const redirectUri = p.get('redirect_uri');
    if (!clientId) return { kind: 'page-error', message: 'The app did not say who it is (client_id is missing).' };
    const client = await this.d.clients.get(clientId);
    if (!client || client.type === 'backend') return { kind: 'page-error', message: 'This app is not registered with this server.' };
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      return { kind: 'page-error', message: 'The app asked to return to an address it has not registered (redirect_uri), so this server will not send you there.' };
    }
    const state = p.get('state') ?? undefined;
    const fail = (code: OAuthError['code'], description: string): BeginResult => ({ kind: 'redirect', url: withParams(redirectUri, { error: code, error_description: description, ...(state !== undefined ? { state } : {}) }) });
    if (p.get('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (state === undefined || state === '') return fail('invalid_request', 'state is required');
    const challenge = p.get('code_challenge');
    const method = p.get('code_challenge_method');
    if (!challenge || !method) return fail('invalid_request', 'PKCE is required: code_challenge and code_challenge_method=S256');
    if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    if (!/^[A-Za-z0-9\-_]{43}$/.test(challenge)) return fail('invalid_request', 'code_challenge is not an S256 challenge');
    const aud = p.get('aud');
    if (aud === null || aud.replace(/\/+$/, '') !== this.d.baseUrl) return fail('invalid_request', 'aud must be this server\'s FHIR base URL');
    const scopes = allowedScopes(p.get('scope') ?? '', client.scopes, this.d.resourceTypes, false);
    const resource = scopes.filter((s) => s.includes('/') && !s.startsWith('launch'));
    if (resource.length === 0 && !scopes.includes('openid')) return fail('invalid_scope', 'None of the requested scopes is allowed for this app');
    let launch: LaunchContext | undefined;
    const launchValue = p.get('launch');
    if (launchValue !== null) {
      if (!scopes.includes('launch')) return fail('invalid_scope', 'An EHR launch needs the launch scope');
      launch = await this.d.launches.take(launchValue);
      if (!launch) return fail('invalid_request', 'The launch is unknown, used or expired');
    } else if (scopes.includes('launch')) {
      return fail('invalid_request', 'The launch scope needs a launch parameter (EHR launch)');
    }
    const tx: Transaction = {
      clientId, clientName: client.name, redirectUri, state, scopes, codeChallenge: challenge, step: 'login',
      csrf: randomToken(24), browserKey: randomToken(24),
    };
    const nonce = p.get('nonce');
    if (nonce) tx.nonce = nonce;
    if (launch) tx.launch = launch;
    const txId = randomToken(18);
    await this.save(txId, tx);
    void meta;
    return { kind: 'started', txId, browserKey: tx.browserKey };
  }

  /** The transaction, when `browserKey` (the cookie) is the one that started it. */
  async load(txId: string, browserKey: string | undefined): Promise<Transaction> {
    const rec = await this.d.state.get<Transaction>(KIND, txId);
    if (!rec || browserKey === undefined || !sameSecret(rec.value.browserKey, browserKey)) {
      throw new FlowError('This sign-in has expired or was started in another browser. Go back to the app and start again.');
    }
    return rec.value;
  }

  /** Checks a form's CSRF token and step; throws FlowError when it does not belong to the transaction. */
  async checkForm(txId: string, browserKey: string | undefined, csrf: string | null, step: Step): Promise<Transaction> {
    const tx = await this.load(txId, browserKey);
    if (csrf === null || !sameSecret(tx.csrf, csrf)) throw new FlowError('The form could not be verified (its security token is missing or wrong). Go back to the app and start again.');
    if (tx.step !== step) throw new FlowError('This form is out of date. Go back to the app and start again.');
    return tx;
  }

  /** A login attempt; on success the transaction moves on, otherwise the reason to show. */
  async login(txId: string, tx: Transaction, username: string, password: string, meta: RequestMeta): Promise<{ ok: true } | { ok: false; message: string }> {
    const result = await this.d.users.login(username, password);
    if (!result.ok) {
      const reason = result.reason === 'locked' ? 'account locked' : result.reason === 'disabled' ? 'account disabled' : 'wrong username or password';
      await this.audit('login', false, meta, { user: username.slice(0, 64), clientId: tx.clientId, reason });
      if (result.lockedNow) await this.audit('lockout', true, meta, { user: username.slice(0, 64), reason: 'too many failed logins' });
      return { ok: false, message: result.reason === 'locked' || result.lockedNow ? 'Too many failed attempts: this account is locked for a while.' : 'The username or password is wrong.' };
    }
    const user = result.user;
    await this.audit('login', true, meta, { user: user.fhirUser ?? user.username, clientId: tx.clientId });
    if (tx.launch?.user !== undefined && tx.launch.user !== user.username) {
      return { ok: false, message: 'This launch was created for another user.' };
    }
    const next: Transaction = { ...tx, username: user.username, subject: user.id, authTime: Math.floor(Date.now() / 1000) };
    if (user.fhirUser !== undefined) next.fhirUser = user.fhirUser;
    if (tx.launch) {
      next.patient = tx.launch.patient;
      if (tx.launch.encounter !== undefined) next.encounter = tx.launch.encounter;
    } else if (user.fhirUser?.startsWith('Patient/')) {
      // A patient who logs in is the patient in context: the picker would only ever show themselves.
      next.patient = user.fhirUser.slice('Patient/'.length);
    }
    next.step = next.patient === undefined && tx.scopes.includes('launch/patient') ? 'patient' : 'consent';
    next.csrf = randomToken(24);
    await this.save(txId, next);
    return { ok: true };
  }

  /** The patients the transaction's user may pick whose name matches. */
  async searchPatients(tx: Transaction, name: string): Promise<PatientSummary[]> {
    const user = tx.username !== undefined ? await this.d.users.get(tx.username) : undefined;
    if (!user) return [];
    return this.d.patients.search(user, name, 20);
  }

  /** What the consent page shows of the patient in context. */
  async patientSummary(tx: Transaction): Promise<PatientSummary | undefined> {
    return tx.patient === undefined ? undefined : this.d.patients.summary(tx.patient);
  }

  /** The picked patient, when the user may see it. */
  async choosePatient(txId: string, tx: Transaction, patientId: string | null): Promise<{ ok: boolean }> {
    const user = tx.username !== undefined ? await this.d.users.get(tx.username) : undefined;
    if (!user || !patientId || !(await this.d.patients.visible(user, patientId))) return { ok: false };
    await this.save(txId, { ...tx, patient: patientId, step: 'consent', csrf: randomToken(24) });
    return { ok: true };
  }

  /** The user's decision: a redirect with a code (approved scopes only) or `access_denied`. */
  async consent(txId: string, tx: Transaction, approve: boolean, approved: string[], meta: RequestMeta): Promise<string> {
    await this.d.state.delete(KIND, txId);
    const scopes = tx.scopes.filter((s) => approved.includes(s));
    const event = { clientId: tx.clientId, user: tx.fhirUser ?? tx.username!, ...(tx.patient ? { patient: tx.patient } : {}) };
    // Approving nothing that reaches data is the same as denying.
    if (!approve || !scopes.some((s) => s.includes('/') && !s.startsWith('launch/') || s === 'openid')) {
      await this.audit('consent', false, meta, { ...event, reason: 'the user denied access', scopes: tx.scopes.join(' ') });
      return withParams(tx.redirectUri, { error: 'access_denied', error_description: 'The user denied access', state: tx.state });
    }
    const code = await this.d.grants.issueCode({
      clientId: tx.clientId, redirectUri: tx.redirectUri, codeChallenge: tx.codeChallenge, scopes,
      ...(tx.username !== undefined ? { username: tx.username } : {}),
      ...(tx.subject !== undefined ? { subject: tx.subject } : {}),
      ...(tx.fhirUser !== undefined ? { fhirUser: tx.fhirUser } : {}),
      ...(tx.patient !== undefined ? { patient: tx.patient } : {}),
      ...(tx.encounter !== undefined ? { encounter: tx.encounter } : {}),
      ...(tx.nonce !== undefined ? { nonce: tx.nonce } : {}),
      ...(tx.authTime !== undefined ? { authTime: tx.authTime } : {}),
    });
    await this.audit('consent', true, meta, { ...event, scopes: scopes.join(' ') });
    return withParams(tx.redirectUri, { code, state: tx.state });
  }

  private save(txId: string, tx: Transaction): Promise<void> {
    return this.d.state.put({ kind: KIND, id: txId, value: tx, expiresAt: Date.now() + TX_LIFETIME_MS });
  }

  private async audit(kind: SecurityEvent['kind'], success: boolean, meta: RequestMeta, extra: Partial<SecurityEvent>): Promise<void> {
    await this.d.auditor.recordSecurity({
      kind, success, recorded: new Date().toISOString(), client: meta.client, ...(meta.requestId ? { requestId: meta.requestId } : {}), ...extra,
    });
  }
}

/** `uri` with query parameters added (RFC 6749 §4.1.2: keep the registered URI's own query). */
export function withParams(uri: string, params: Record<string, string>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
  return u.toString();
}
