import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'winston';
import { methodNotAllowed } from '../fhir/outcome.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Deps, Hooks, InteractionSpec } from '../interactions/deps.js';
import { allowedMethods, findInteraction } from '../interactions/lookup.js';
import { runInteraction } from '../interactions/pipeline.js';
import { matchRoute } from '../interactions/route.js';
import { ANONYMOUS } from '../vocabulary/access.js';
import type { ClientInfo } from '../vocabulary/access.js';
import type { FhirRequest } from '../vocabulary/fhir-request.js';
import { isLarge, parseJson, parseLargeJson, readBody } from './body.js';
import type { LargeBodies } from './body.js';
import { checkContentType, negotiate } from './media.js';
import type { BodyKind } from './media.js';
import { sendResult } from './respond.js';
import { requestState } from './request-context.js';

/** The body each interaction reads, if any. */
function bodyKinds(spec: InteractionSpec): BodyKind[] | undefined {
  switch (spec.name) {
    case 'create': case 'update': case 'batch': case 'transaction': case 'operation':
      return ['resource'];
    case 'patch':
      return ['json-patch'];
    case 'search-type': case 'search-system':
      return spec.method === 'POST' ? ['form'] : undefined;
    default:
      return undefined;
  }
}

/** True when the request carries a body (a non-zero Content-Length or chunked encoding). */
function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * The request's headers as lower-case single strings. Node already gives them so (repeated headers joined), except
 * `set-cookie`, an array, which a FHIR request has no use for: only then is a flattened copy made.
 */
function headersOf(req: Request): Record<string, string | undefined> {
  if (req.headers['set-cookie'] === undefined) return req.headers as Record<string, string | undefined>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The peer address and user agent, for the audit record (the proxy's address when behind one: trust proxy is off). */
function clientOf(req: Request): ClientInfo {
  const client: ClientInfo = {};
  const address = req.socket.remoteAddress;
  if (address !== undefined) client.address = address;
  const agent = req.headers['user-agent'];
  if (agent !== undefined) client.userAgent = agent.slice(0, 256);
  return client;
}

/**
 * The one Express middleware for everything under `/fhir`: match the route against the interaction table,
 * negotiate formats, read the body, authenticate, and run the interaction pipeline. Keeping FHIR as a
 * single dispatcher (not one Express route per type × interaction) keeps Express's per-request cost low.
 */
export function fhirDispatcher(
  deps: Deps, hooks: Hooks, authenticator: Authenticator, table: readonly InteractionSpec[], log: Logger, large?: LargeBodies,
) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const state = requestState(res);
    try {
      const url = req.url;
      const q = url.indexOf('?');
      const path = q >= 0 ? url.slice(0, q) : url;
      const query: [string, string][] = q >= 0 ? [...new URLSearchParams(url.slice(q + 1))] : [];
      const route = matchRoute(path, deps.resourceTypes, { deferInvalidId: true });
      state.route = route.template;
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const spec = findInteraction(table, route.shape, method);
      if (!spec) throw methodNotAllowed(`${req.method} is not allowed on ${route.template}`, allowedMethods(table, route.shape));
      state.interaction = spec.name;
      const format = query.find(([k]) => k === '_format')?.[1];
      const headers = headersOf(req);
      const initial: FhirRequest = {
        requestId: state.requestId, interaction: spec.name, method, query, headers, auth: ANONYMOUS, client: clientOf(req),
        baseUrl: deps.config.baseUrl, log: state.log ?? log,
      };
      if (route.resourceType) initial.resourceType = route.resourceType;
      if (route.id) initial.id = route.id;
      if (route.versionId) initial.versionId = route.versionId;
      if (route.operation) initial.operation = route.operation;
      if (route.compartment) initial.compartment = route.compartment;
      const kinds = bodyKinds(spec);
      // Route problems and format negotiation fail inside the pipeline so that the attempt is audited.
      const load = async (r: FhirRequest): Promise<FhirRequest> => {
        if (route.invalid) throw route.invalid;
        negotiate(format, req.headers.accept);
        // Public rows (the CapabilityStatement, the SMART configuration) answer without a token.
        const auth = spec.public ? ANONYMOUS : await authenticator.authenticate(headers);
        if (auth.clientId !== undefined) state.clientId = auth.clientId;
        if (auth.subject !== undefined) state.user = auth.subject;
        if (!kinds) return { ...r, auth };
        // Operations such as $reindex may be invoked without a body (FHIR R4 operations.html#executing).
        if (spec.name === 'operation' && !hasBody(req)) return { ...r, auth };
        const kind = checkContentType(req.headers['content-type'], kinds);
        const text = await readBody(req, deps.config.maxBodyBytes);
        // A large body is checked off the event loop and parsed in slices (body.ts); any other as it comes.
        const body = kind === 'form' ? text
          : isLarge(large, spec.name, text.length) ? await parseLargeJson(text, deps.config.maxJsonDepth, large)
            : parseJson(text, deps.config.maxJsonDepth);
        // One table row serves POST /fhir; the Bundle's own type says which interaction it is (for hooks and audit).
        const isBatch = spec.name === 'transaction' && typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'batch';
        return { ...r, auth, body, ...(isBatch ? { interaction: 'batch' as const } : {}) };
      };
      const result = await runInteraction(spec, initial, deps, hooks, load);
      const pretty = query.some(([k, v]) => k === '_pretty' && v === 'true');
      sendResult(res, result, pretty);
    } catch (e) {
      next(e);
    }
  };
}
