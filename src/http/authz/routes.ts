import express from 'express';
import type { Request, Response, NextFunction, Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'winston';
import { FlowError, type Transaction } from '../../auth/server/authorization-flow.js';
import type { AuthorizationServer } from '../../auth/server/authorization-server.js';
import { OAuthError } from '../../auth/server/oauth-error.js';
import { describeScope } from '../../auth/server/scope-rules.js';
import type { RequestMeta } from '../../auth/server/token-service.js';
import { requestState, applyHeaders } from '../request-context.js';
import { FormError, cookie, queryOf, readForm } from './form.js';
import { consentPage, errorPage, loginPage, patientPage, STYLESHEET } from './pages.js';
import { rateLimit } from './rate-limit.js';

/** What the routes need. */
export interface AuthRoutesOptions {
  server: AuthorizationServer;
  /** The OpenID Provider configuration document. */
  openidConfiguration: () => Record<string, unknown>;
  /** CORS for the endpoints a browser app calls (token, revoke, discovery). */
  cors: (req: Request, res: Response, next: NextFunction) => void;
  resourceTypes: ReadonlySet<string>;
  rateLimitPerMinute: number;
  secureCookies: boolean;
  log: Logger;
}

/**
 * The page CSP (helmet): nothing but this server's stylesheet, forms posting to this server and, after consent, the
 * redirect to the app's registered URI (CSP `form-action` also governs the redirect that follows a form post).
 */
const pageCsp = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'"], baseUri: ["'none'"], frameAncestors: ["'none'"],
    formAction: ["'self'", (_req, res) => ((res as unknown as Response).locals.formTarget as string | undefined) ?? "'self'"],
  },
});

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** The authorization server's HTTP surface under `/auth` (RFC 6749, 7009, 7662; SMART App Launch 2.x; OIDC discovery). */
export function authRoutes(o: AuthRoutesOptions): Router {
  const r = express.Router();
  const { flow, tokens } = o.server;
  const meta = (req: Request, res: Response): RequestMeta => {
    const ua = req.headers['user-agent'];
    return { client: { ...(req.socket.remoteAddress ? { address: req.socket.remoteAddress } : {}), ...(ua ? { userAgent: ua.slice(0, 200) } : {}) }, requestId: requestState(res).requestId };
  };
  const limited = rateLimit(o.rateLimitPerMinute, (res, retryAfter) => {
    applyHeaders(res);
    res.status(429).set({ ...NO_STORE, 'Retry-After': String(retryAfter) }).json({ error: 'temporarily_unavailable', error_description: 'Too many requests; retry later' });
  });
  const route = (name: string) => (_req: Request, res: Response, next: NextFunction): void => {
    requestState(res).route = name;
    applyHeaders(res);
    next();
  };
  const page = (res: Response, status: number, html: string): void => {
    pageCsp(res.req, res, () => {
      res.status(status).set({ ...NO_STORE, 'Content-Type': 'text/html; charset=utf-8' }).send(html);
    });
  };
  const cookieName = (txId: string): string => `vesta_tx_${txId}`;
  const interaction = (txId: string): string => `/auth/interaction/${encodeURIComponent(txId)}`;
  const fail = (res: Response, e: unknown, next: NextFunction): void => {
    if (e instanceof FlowError) return page(res, 400, errorPage(e.message));
    if (e instanceof FormError) return page(res, 400, errorPage(e.message));
    next(e);
  };

  r.get('/static/vesta.css', route('/auth/static'), (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }).send(STYLESHEET);
  });
  r.get('/smart-style.json', o.cors, route('/auth/smart-style.json'), (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').json({ color_background: '#f4f6f8', color_highlight: '#0b5cad', color_text: '#1b1f24', font_family: 'system-ui, sans-serif' });
  });
  r.get('/.well-known/openid-configuration', o.cors, route('/auth/.well-known/openid-configuration'), (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(o.openidConfiguration());
  });

  // Authorization endpoint, GET and POST (SMART authorize-post).
  const authorize = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const params = req.method === 'POST' ? await readForm(req) : queryOf(req);
      const begun = await flow.begin(params, meta(req, res));
      switch (begun.kind) {
        case 'page-error':
          return page(res, 400, errorPage(begun.message));
        case 'redirect':
          res.set(NO_STORE).redirect(303, begun.url);
          return;
        case 'started':
          res.cookie(cookieName(begun.txId), begun.browserKey, {
            httpOnly: true, sameSite: 'lax', path: '/auth/interaction', maxAge: 600_000, secure: o.secureCookies,
          });
          res.set(NO_STORE).redirect(303, interaction(begun.txId));
          return;
      }
    } catch (e) {
      fail(res, e, next);
    }
  };
  r.get('/authorize', route('/auth/authorize'), authorize);
  r.post('/authorize', route('/auth/authorize'), authorize);

  const render = async (res: Response, txId: string, tx: Transaction, extra: { message?: string; username?: string; query?: string; status?: number } = {}): Promise<void> => {
    const base = interaction(txId);
    switch (tx.step) {
      case 'login':
        return page(res, extra.status ?? 200, loginPage({ action: `${base}/login`, csrf: tx.csrf, appName: tx.clientName, ...pick(extra, 'message', 'username') }));
      case 'patient': {
        const query = extra.query ?? '';
        const patients = await flow.searchPatients(tx, query);
        return page(res, extra.status ?? 200, patientPage({ self: base, action: `${base}/patient`, csrf: tx.csrf, appName: tx.clientName, query, patients, ...pick(extra, 'message') }));
      }
      case 'consent': {
        res.locals.formTarget = new URL(tx.redirectUri).origin;
        const scopes = tx.scopes.map((scope) => ({ scope, words: describeScope(scope, o.resourceTypes) }));
        const patient = await flow.patientSummary(tx);
        const patientName = patient ? `${patient.name}${patient.birthDate ? `, born ${patient.birthDate}` : ''}` : tx.patient !== undefined ? `Patient/${tx.patient}` : undefined;
        return page(res, extra.status ?? 200, consentPage({ action: `${base}/consent`, csrf: tx.csrf, appName: tx.clientName, scopes, ...(patientName ? { patientName } : {}) }));
      }
    }
  };

  r.get('/interaction/:tx', route('/auth/interaction'), async (req, res, next) => {
    try {
      const txId = String(req.params.tx);
      const tx = await flow.load(txId, cookie(req, cookieName(txId)));
      await render(res, txId, tx, { query: (queryOf(req).get('name') ?? '').slice(0, 100) });
    } catch (e) {
      fail(res, e, next);
    }
  });

  r.post('/interaction/:tx/login', route('/auth/interaction/login'), limited, async (req, res, next) => {
    try {
      const txId = String(req.params.tx);
      const form = await readForm(req);
      const tx = await flow.checkForm(txId, cookie(req, cookieName(txId)), form.get('csrf'), 'login');
      const username = (form.get('username') ?? '').trim();
      const result = await flow.login(txId, tx, username, form.get('password') ?? '', meta(req, res));
      if (!result.ok) return await render(res, txId, tx, { message: result.message, username: username.slice(0, 64), status: 401 });
      res.redirect(303, interaction(txId));
    } catch (e) {
      fail(res, e, next);
    }
  });

  r.post('/interaction/:tx/patient', route('/auth/interaction/patient'), async (req, res, next) => {
    try {
      const txId = String(req.params.tx);
      const form = await readForm(req);
      const tx = await flow.checkForm(txId, cookie(req, cookieName(txId)), form.get('csrf'), 'patient');
      const chosen = await flow.choosePatient(txId, tx, form.get('patient'));
      if (!chosen.ok) return await render(res, txId, tx, { message: 'Choose one of the patients listed.', status: 400 });
      res.redirect(303, interaction(txId));
    } catch (e) {
      fail(res, e, next);
    }
  });

  r.post('/interaction/:tx/consent', route('/auth/interaction/consent'), async (req, res, next) => {
    try {
      const txId = String(req.params.tx);
      const form = await readForm(req);
      const tx = await flow.checkForm(txId, cookie(req, cookieName(txId)), form.get('csrf'), 'consent');
      const url = await flow.consent(txId, tx, form.get('decision') === 'approve', form.getAll('scope'), meta(req, res));
      res.clearCookie(cookieName(txId), { path: '/auth/interaction' });
      res.locals.formTarget = new URL(tx.redirectUri).origin;
      pageCsp(req, res, () => res.set(NO_STORE).redirect(303, url));
    } catch (e) {
      fail(res, e, next);
    }
  });

  // Token, introspection and revocation: form posts answered in JSON (RFC 6749 §5, RFC 7662, RFC 7009).
  const oauthJson = (name: string, work: (req: Request, res: Response) => Promise<Record<string, unknown> | undefined>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        const body = await work(req, res);
        res.status(200).set(NO_STORE);
        if (body === undefined) res.end();
        else res.json(body);
      } catch (e) {
        const err = e instanceof OAuthError ? e : e instanceof FormError ? new OAuthError('invalid_request', e.message) : undefined;
        if (!err) {
          o.log.error('authorization server error', { route: name, error: e instanceof Error ? e.message : String(e) });
          res.status(500).set(NO_STORE).json({ error: 'server_error', error_description: 'The server could not complete the request' });
          return;
        }
        const headers: Record<string, string> = { ...NO_STORE };
        if (err.status === 401 && /^Basic /i.test(req.headers.authorization ?? '')) headers['WWW-Authenticate'] = 'Basic realm="vesta"';
        res.status(err.status).set(headers).json(err.body());
      }
    };
  const credentials = async (req: Request) => ({ form: await readForm(req), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
  r.options(['/token', '/revoke'], o.cors);
  r.post('/token', o.cors, route('/auth/token'), limited, oauthJson('token', async (req, res) => tokens.token(await credentials(req), meta(req, res))));
  r.post('/introspect', route('/auth/introspect'), limited, oauthJson('introspect', async (req, res) => tokens.introspect(await credentials(req), meta(req, res))));
  r.post('/revoke', o.cors, route('/auth/revoke'), limited, oauthJson('revoke', async (req, res) => {
    await tokens.revoke(await credentials(req), meta(req, res));
    return undefined;
  }));
  return r;
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
