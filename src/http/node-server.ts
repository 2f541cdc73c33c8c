import http from 'node:http';
import type { Express } from 'express';

/** A constructor Node's HTTP server can be given for its request or response objects. */
type Constructor = { prototype: object };

/**
 * An `http.Server` whose request and response objects are created with the Express app's own prototypes.
 *
 * Why: Express 5 gives every incoming request and response its app's prototypes with `Object.setPrototypeOf`,
 * and V8 answers a prototype change on a live object by deoptimizing everything that touches it
 * (expressjs/express#5998). When the object already has that prototype the call changes nothing. Measured on
 * this project's 2-core machine, a bare Express route went from ~14,500 to 24,000–56,000 requests/s; for Vesta
 * it is main-thread time that every request saves. Express still does all the routing.
 *
 * `adopt(app)` takes effect for connections' requests from then on, since the server listens before the app
 * exists (main.ts); objects created before keep plain Node prototypes and Express converts them as usual.
 */
export function createNodeServer(listener: http.RequestListener): { server: http.Server; adopt(app: Express): void } {
  // Plain constructor functions (not classes) so that `prototype` can point at the app's objects.
  const Request = function (this: http.IncomingMessage, ...args: unknown[]): void {
    (http.IncomingMessage as unknown as (...a: unknown[]) => void).apply(this, args);
  } as unknown as Constructor;
  const Response = function (this: http.ServerResponse, ...args: unknown[]): void {
    (http.ServerResponse as unknown as (...a: unknown[]) => void).apply(this, args);
  } as unknown as Constructor;
  Request.prototype = Object.create(http.IncomingMessage.prototype) as object;
  Response.prototype = Object.create(http.ServerResponse.prototype) as object;
  const server = http.createServer({
    IncomingMessage: Request as unknown as typeof http.IncomingMessage,
    ServerResponse: Response as unknown as typeof http.ServerResponse,
  }, listener);
  return {
    server,
    adopt(app: Express): void {
      Request.prototype = app.request;
      Response.prototype = app.response;
    },
  };
}
