/**
 * What Vesta says about its security (SMART App Launch 2.x conformance.html): the SMART configuration document at
 * `/fhir/.well-known/smart-configuration` and `rest.security` in the CapabilityStatement. Both come from one
 * description of the running authorization set-up, so they cannot disagree, and they advertise exactly what works.
 */

/** The authorization server's endpoints and abilities, as far as they exist. */
export interface AuthorizationServerInfo {
  issuer: string;
  jwksUri?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  introspectionEndpoint?: string;
  revocationEndpoint?: string;
  registrationEndpoint?: string;
  managementEndpoint?: string;
  grantTypes?: string[];
  tokenEndpointAuthMethods?: string[];
  tokenEndpointAuthSigningAlgs?: string[];
  responseTypes?: string[];
  codeChallengeMethods?: string[];
  /** SMART capabilities (launch-ehr, client-public, context-*, permission-*, sso-openid-connect...). */
  capabilities: string[];
  scopes: string[];
}

/** The security set-up in effect. */
export type SecurityInfo =
  | { mode: 'off' }
  | { mode: 'builtin' | 'external'; server: AuthorizationServerInfo };

/** The resource-server capabilities Vesta itself implements, whatever issues the tokens. */
export const RESOURCE_SERVER_CAPABILITIES = ['permission-patient', 'permission-user', 'permission-v1', 'permission-v2'];

/** Scope forms the resource server reads (the authorization server adds launch and identity scopes). */
export const RESOURCE_SCOPES = ['patient/*.rs', 'patient/*.cruds', 'user/*.rs', 'user/*.cruds', 'system/*.rs', 'system/*.cruds', 'patient/*.read', 'user/*.read'];

/** The `.well-known/smart-configuration` document, or undefined when authorization is off. */
export function smartConfiguration(info: SecurityInfo): Record<string, unknown> | undefined {
  if (info.mode === 'off') return undefined;
  const s = info.server;
  const doc: Record<string, unknown> = { issuer: s.issuer };
  const put = (key: string, value: unknown): void => {
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) doc[key] = value;
  };
  put('jwks_uri', s.jwksUri);
  put('authorization_endpoint', s.authorizationEndpoint);
  put('token_endpoint', s.tokenEndpoint);
  put('introspection_endpoint', s.introspectionEndpoint);
  put('revocation_endpoint', s.revocationEndpoint);
  put('registration_endpoint', s.registrationEndpoint);
  put('management_endpoint', s.managementEndpoint);
  put('grant_types_supported', s.grantTypes);
  put('token_endpoint_auth_methods_supported', s.tokenEndpointAuthMethods);
  put('token_endpoint_auth_signing_alg_values_supported', s.tokenEndpointAuthSigningAlgs);
  put('scopes_supported', s.scopes);
  put('response_types_supported', s.responseTypes);
  put('code_challenge_methods_supported', s.codeChallengeMethods);
  doc.capabilities = s.capabilities;
  return doc;
}

/** `CapabilityStatement.rest.security` (FHIR R4 capabilitystatement-definitions.html#CapabilityStatement.rest.security). */
export function restSecurity(info: SecurityInfo): Record<string, unknown> {
  if (info.mode === 'off') {
    return {
      cors: true,
      description: 'WARNING: authorization is OFF (VESTA_AUTH=off). Anyone who can reach this server can read and change every '
        + 'resource. This mode is for development on a loopback address only.',
    };
  }
  const s = info.server;
  const security: Record<string, unknown> = {
    cors: true,
    service: [{
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
      text: 'OAuth2 bearer tokens with SMART App Launch 2.x scopes (patient/, user/, system/; v1 and v2; granular)',
    }],
    description: `Every request except GET metadata and GET .well-known/smart-configuration needs Authorization: Bearer <token> `
      + `from ${info.mode === 'builtin' ? 'Vesta\'s own authorization server' : 'a trusted issuer'} (${s.issuer}). `
      + 'Patient-context tokens reach only their patient\'s compartment. See .well-known/smart-configuration.',
  };
  const uris = [
    ['authorize', s.authorizationEndpoint], ['token', s.tokenEndpoint], ['introspect', s.introspectionEndpoint],
    ['revoke', s.revocationEndpoint], ['register', s.registrationEndpoint], ['manage', s.managementEndpoint],
  ].filter((u): u is [string, string] => u[1] !== undefined);
  // SMART requires both authorize and token in oauth-uris; until both exist, none is claimed.
  if (s.authorizationEndpoint !== undefined && s.tokenEndpoint !== undefined) {
    security.extension = [{
      url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
      extension: uris.map(([url, valueUri]) => ({ url, valueUri })),
    }];
  }
  return security;
}

/**
 * The endpoints an external issuer publishes in its OpenID (or SMART) discovery document; undefined when neither
 * answers. Only what the issuer states is taken; Vesta's own resource-server capabilities are kept.
 */
export async function discoverAuthorizationServer(issuer: string): Promise<Partial<AuthorizationServerInfo> | undefined> {
  for (const doc of ['.well-known/openid-configuration', '.well-known/smart-configuration']) {
    let body: Record<string, unknown>;
    try {
      const res = await fetch(`${issuer}/${doc}`, { signal: AbortSignal.timeout(5000), headers: { Accept: 'application/json' } });
      if (!res.ok) continue;
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      continue;
    }
    const str = (k: string): string | undefined => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const strs = (k: string): string[] | undefined => (Array.isArray(body[k]) ? (body[k] as unknown[]).filter((x): x is string => typeof x === 'string') : undefined);
    const found: Partial<AuthorizationServerInfo> = {};
    const set = <K extends keyof AuthorizationServerInfo>(k: K, v: AuthorizationServerInfo[K] | undefined): void => {
      if (v !== undefined) found[k] = v;
    };
    set('jwksUri', str('jwks_uri'));
    set('authorizationEndpoint', str('authorization_endpoint'));
    set('tokenEndpoint', str('token_endpoint'));
    set('introspectionEndpoint', str('introspection_endpoint'));
    set('revocationEndpoint', str('revocation_endpoint'));
    set('registrationEndpoint', str('registration_endpoint'));
    set('grantTypes', strs('grant_types_supported'));
    set('tokenEndpointAuthMethods', strs('token_endpoint_auth_methods_supported'));
    set('responseTypes', strs('response_types_supported'));
    set('codeChallengeMethods', strs('code_challenge_methods_supported'));
    return found;
  }
  return undefined;
}
