import http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A complete HTTP/1.1 answer with an OperationOutcome, written straight to a socket for requests that never
 * reach the app: CONNECT and methods Node's parser does not know (which it would otherwise answer with a bare
 * 400 or, for CONNECT without a listener, a reset connection).
 */
export function rawOutcome(status: number, reason: string, code: string, diagnostics: string): string {
  const body = JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`;
}

/** Answers what Node's parser rejects with an OperationOutcome instead of a bare status line or a reset. */
function answerUnroutable(server: http.Server): void {
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end(rawOutcome(501, 'Not Implemented', 'not-supported', 'CONNECT is not supported: this is a FHIR server, not a proxy'));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    socket.on('error', () => undefined);
    // A peer that went away or timed out gets nothing; a request that cannot be parsed gets an explanation.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = err.code === 'HPE_INVALID_METHOD'
      ? rawOutcome(501, 'Not Implemented', 'not-supported', 'This HTTP method is not supported; FHIR uses GET, HEAD, POST, PUT, PATCH and DELETE')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? rawOutcome(431, 'Request Header Fields Too Large', 'too-costly', 'The request line and headers (a search URL included) are larger than this server accepts (VESTA_MAX_HEADER_SIZE); use POST _search for long searches')
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? rawOutcome(408, 'Request Timeout', 'timeout', 'The request was not received in time')
          : rawOutcome(400, 'Bad Request', 'structure', 'The HTTP request is malformed');
    socket.end(answer);
  });
}

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
export function createNodeServer(listener: http.RequestListener, opts: { maxHeaderSize?: number } = {}): { server: http.Server; adopt(app: { request: object; response: object }): void } {
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
    ...(opts.maxHeaderSize !== undefined ? { maxHeaderSize: opts.maxHeaderSize } : {}),
  }, listener);
  answerUnroutable(server);
  return {
    server,
    adopt(app: { request: object; response: object }): void {
      Request.prototype = app.request;
      Response.prototype = app.response;
    },
  };
}
