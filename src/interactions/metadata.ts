import type { Handler } from './deps.js';

/** capabilities (FHIR R4 http.html#capabilities): the CapabilityStatement built from the running server. */
export const metadata: Handler = async (_req, deps) => ({ status: 200, body: deps.capabilityStatement() });

/** The SMART configuration (SMART App Launch 2.x conformance.html): JSON, not a FHIR resource. */
export const smartConfiguration: Handler = async (_req, deps) => ({
  status: 200, body: deps.smartConfiguration(), contentType: 'application/json; charset=utf-8',
});
