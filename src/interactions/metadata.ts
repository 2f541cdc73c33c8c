import type { Handler } from './deps.js';

/** capabilities (FHIR R4 http.html#capabilities): the CapabilityStatement built from the running server. */
export const metadata: Handler = async (_req, deps) => ({ status: 200, body: deps.capabilityStatement() });
