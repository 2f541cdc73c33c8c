import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
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

/** The HTTP application: a request listener for `node:http`, with the prototypes its requests and responses get. */
export interface HttpApp {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Express's request and response prototypes (node-server.ts creates the objects with them). */
  request: object;
  response: object;
}

/** `/fhir`, `/fhir/...` or `/fhir?...` (exactly as written: any other spelling goes through Express's own match). */
function underFhir(url: string): boolean {
  if (!url.startsWith('/fhir')) return false;
  const next = url.charCodeAt(5);
  return Number.isNaN(next) || next === 0x2f || next === 0x3f;
}

/**
 * The Express application: security headers, request context, probes outside `/fhir`, the FHIR
 * dispatcher, and the error handler. This is the only module that knows Express routes.
 *
 * FHIR requests (nearly all the traffic) go straight to the same middleware Express would run for them (request
 * context, CORS, dispatcher, error handler), without Express's router: its layer walk, path matching and URL
 * rewriting cost every request a few µs of main-thread time, and the dispatcher uses only Node's own request and
 * response API. Express still serves every other path, and any spelling of `/fhir` the fast check does not take.
 */
export function createHttpApp(opts: HttpAppOptions): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);
  app.set('trust proxy', false);
  // Helmet's headers (computed once) and the request id go out with every response.
  const context = requestContext(opts.log, securityHeaders());
  app.use(context);
  const corsHeaders = cors(opts.deps.config.corsOrigins);
  // Every FHIR response is `no-store` (respond.ts), so only CORS requests need the CORS headers.
  const fhirCors = cors(opts.deps.config.corsOrigins, { uncachedOnly: true });
  // FHIR first: it is nearly all the traffic, and every router layer a request passes costs it a path match.
  const dispatch = fhirDispatcher(opts.deps, opts.hooks, opts.authenticator, opts.table, opts.log, opts.largeBodies);
  const fhir = (req: Request, res: Response, next: NextFunction): void => fhirCors(req, res, (err?: unknown) => (err ? next(err) : void dispatch(req, res, next)));
  app.use('/fhir', fhir);
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
  const errors = errorHandler(opts.log);
  app.use(errors);
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    if (!underFhir(url)) return void app(req, res);
    // As Express's mount does: the dispatcher sees the path below `/fhir`.
    req.url = url.length === 5 ? '/' : url.charCodeAt(5) === 0x3f ? `/${url.slice(5)}` : url.slice(5);
    const request = req as Request;
    const response = res as Response;
    const fail: NextFunction = (err?: unknown) => errors(err, request, response, () => undefined);
    context(request, response, () => fhir(request, response, fail));
  };
  return Object.assign(listener, { request: app.request as object, response: app.response as object });
}
