import express from 'express';
import type { Express, NextFunction, Request, Response, Router } from 'express';
import type { Logger } from 'winston';
import type { Authenticator } from '../auth/authenticator.js';
import type { Deps, Hooks, InteractionSpec } from '../interactions/deps.js';
import { notFound } from '../fhir/outcome.js';
import { cors } from './cors.js';
import { errorHandler } from './error-handler.js';
import type { LargeBodies } from './body.js';
import { fhirDispatcher } from './fhir-dispatcher.js';
import { applyHeaders, requestContext, requestState } from './request-context.js';
import { securityHeaders } from './security-headers.js';

/** Everything the HTTP layer needs from the composition root. */
export interface HttpAppOptions {
  deps: Deps;
  hooks: Hooks;
  authenticator: Authenticator;
  table: readonly InteractionSpec[];
  log: Logger;
  /** Vesta's public signing keys (builtin authorization), served at `/auth/jwks`. */
  jwks?: () => Promise<unknown>;
  /** The built-in authorization server's routes, mounted at `/auth` (builtin authorization). */
  authRoutes?: (cors: (req: Request, res: Response, next: NextFunction) => void) => Router;
  /** Built-in SMART apps under `/apps` (the audit review page). */
  apps?: Router;
  /** How large JSON bodies are parsed without holding the event loop (body.ts); absent: like any other. */
  largeBodies?: LargeBodies;
}

/**
 * The Express application: security headers, request context, probes outside `/fhir`, the FHIR
 * dispatcher, and the error handler. This is the only module that knows Express routes.
 */
export function createHttpApp(opts: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.set('trust proxy', false);
  // Helmet's headers (computed once) and the request id go out with every response.
  app.use(requestContext(opts.log, securityHeaders()));
  const corsHeaders = cors(opts.deps.config.corsOrigins);
  // Every FHIR response is `no-store` (respond.ts), so only CORS requests need the CORS headers.
  const fhirCors = cors(opts.deps.config.corsOrigins, { uncachedOnly: true });
  // FHIR first: it is nearly all the traffic, and every router layer a request passes costs it a path match.
  const dispatch = fhirDispatcher(opts.deps, opts.hooks, opts.authenticator, opts.table, opts.log, opts.largeBodies);
  app.use('/fhir', (req, res, next) => fhirCors(req, res, (err?: unknown) => (err ? next(err) : void dispatch(req, res, next))));
  app.get('/healthz', (_req, res) => {
    requestState(res).route = '/healthz';
    applyHeaders(res);
    res.status(200).json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    requestState(res).route = '/readyz';
    const ok = await opts.deps.store.ping().catch(() => false);
    const audited = opts.hooks.auditor.healthy?.() !== false;
    applyHeaders(res);
    res.status(ok && audited ? 200 : 503).json({ status: !ok ? 'store unavailable' : audited ? 'ready' : 'audit trail unavailable' });
  });
  const { jwks } = opts;
  if (jwks) {
    app.get('/auth/jwks', corsHeaders, async (_req, res, next) => {
      try {
        requestState(res).route = '/auth/jwks';
        const body = JSON.stringify(await jwks());
        applyHeaders(res);
        res.writeHead(200, { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': 'public, max-age=300', 'Content-Length': String(Buffer.byteLength(body)) });
        res.end(body);
      } catch (e) {
        next(e);
      }
    });
  }
  if (opts.authRoutes) app.use('/auth', opts.authRoutes(corsHeaders));
  if (opts.apps) app.use('/apps', opts.apps);
  app.use((_req, _res, next) => next(notFound('No endpoint at this path; the FHIR base is /fhir')));
  app.use(errorHandler(opts.log));
  return app;
}
