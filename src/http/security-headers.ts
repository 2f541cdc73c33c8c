import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/** Vesta's helmet policy. An API serves no HTML, so the strictest content policy costs nothing. */
export const HELMET_POLICY: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true },
};

/**
 * The headers helmet sets under `policy`, as a flat [name, value, name, value, ...] list, computed once by
 * running helmet's middleware against a recorder. Helmet stays the source of truth for names and values;
 * responses then carry the list in their `writeHead` call instead of through a dozen middleware layers and
 * `setHeader` calls per request (measured: about 11 µs of a 78 µs read, a seventh of Vesta's read throughput).
 */
export function securityHeaders(policy: Readonly<HelmetOptions> = HELMET_POLICY): readonly string[] {
  const flat: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      flat.push(name, Array.isArray(value) ? value.join(', ') : String(value));
      return recorder;
    },
    // helmet removes X-Powered-By; Vesta never sets it (the app disables it).
    removeHeader() {},
  };
  let failure: unknown;
  let continued = false;
  helmet(policy)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
    continued = true;
  });
  if (!continued || failure !== undefined) throw new Error(`helmet did not accept the security header policy: ${String(failure)}`);
  return Object.freeze(flat);
}
