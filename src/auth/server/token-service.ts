import { SignJWT, jwtVerify } from 'jose';
import type { Auditor, ClientInfo, SecurityEvent } from '../../vocabulary/access.js';
import type { KeyRing } from '../key-ring.js';
import type { LocalKeySet } from '../local-key-set.js';
import type { RevocationList } from '../revocations.js';
import type { TokenIssuer } from '../token-issuer.js';
import type { ClientAuthenticator, ClientCredentials } from './client-auth.js';
import type { RegisteredClient } from './clients.js';
import type { GrantContext, GrantStore } from './grants.js';
import { OAuthError } from './oauth-error.js';
import { allowedScopes, isSubset } from './scope-rules.js';
import { s256 } from './secrets.js';

/** Where a request came from, for the audit record. */
export interface RequestMeta {
  client: ClientInfo;
  requestId?: string;
}

/** What the token service needs. */
export interface TokenServiceDeps {
  issuer: string;
  /** The FHIR base URL: the access tokens' audience and the base of absolute `fhirUser` URLs. */
  baseUrl: string;
  audience: string;
  keys: KeyRing;
  keySet: LocalKeySet;
  tokens: TokenIssuer;
  revocations: RevocationList;
  grants: GrantStore;
  clientAuth: ClientAuthenticator;
  resourceTypes: ReadonlySet<string>;
  lifetimeSeconds: number;
  clockSkewSeconds: number;
  auditor: Auditor;
  /** SMART `smart_style_url` (context-style). */
  styleUrl: string;
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6; SMART App Launch 2.x; SMART Backend Services), token
 * introspection (RFC 7662) and revocation (RFC 7009). Each success and each refusal is a security event.
 */
export class TokenService {
  constructor(private readonly d: TokenServiceDeps) {}

  async token(req: ClientCredentials, meta: RequestMeta): Promise<Record<string, unknown>> {
    const grantType = req.form.get('grant_type');
    let client: RegisteredClient | undefined;
    try {
      client = await this.d.clientAuth.authenticate(req);
      switch (grantType) {
        case 'authorization_code': return await this.exchangeCode(client, req.form, meta);
        case 'refresh_token': return await this.refresh(client, req.form, meta);
        case 'client_credentials': return await this.clientCredentials(client, req.form, meta);
        case null: throw new OAuthError('invalid_request', 'grant_type is required');
        default: throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code, refresh_token or client_credentials');
      }
    } catch (e) {
      if (e instanceof OAuthError) {
        const clientId = client?.clientId ?? req.form.get('client_id') ?? undefined;
        await this.audit(e.code === 'invalid_client' ? 'client-authentication' : 'token-issued', false, meta, { reason: e.description, ...(clientId ? { clientId } : {}) });
      }
      throw e;
    }
  }

  private async exchangeCode(client: RegisteredClient, form: URLSearchParams, meta: RequestMeta): Promise<Record<string, unknown>> {
    const code = form.get('code');
    const verifier = form.get('code_verifier');
    if (!code) throw new OAuthError('invalid_request', 'code is required');
    if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
    const { record, reused } = await this.d.grants.takeCode(code);
    if (reused) throw new OAuthError('invalid_grant', 'The code was used before; every token issued from it is now revoked');
    if (!record) throw new OAuthError('invalid_grant', 'The code is unknown or expired');
    // From here the code is spent: a wrong redirect or verifier does not give the caller a second try.
    if (record.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'The code was issued to another client');
    if (form.get('redirect_uri') !== record.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    if (!VERIFIER.test(verifier) || s256(verifier) !== record.codeChallenge) throw new OAuthError('invalid_grant', 'The code_verifier does not match the code_challenge');
    const { grantId, redirectUri: _r, codeChallenge: _c, ...ctx } = record;
    const body = await this.issue(client, ctx, grantId, true);
    await this.audit('token-issued', true, meta, this.eventOf(ctx, body));
    return body;
  }

  private async refresh(client: RegisteredClient, form: URLSearchParams, meta: RequestMeta): Promise<Record<string, unknown>> {
    const token = form.get('refresh_token');
    if (!token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const rec = await this.d.grants.findRefresh(token);
    if (!rec || rec.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'The refresh token is unknown, expired or revoked');
    if (rec.rotatedAt !== undefined) {
      await this.d.grants.revokeFamily(rec.grantId);
      throw new OAuthError('invalid_grant', 'The refresh token was already used; every token of its grant is now revoked');
    }
    if (await this.d.grants.familyRevoked(rec.grantId)) throw new OAuthError('invalid_grant', 'The refresh token is unknown, expired or revoked');
    const asked = form.get('scope');
    let scopes = rec.scopes;
    if (asked !== null) {
      const narrow = asked.split(/\s+/).filter(Boolean);
      if (!isSubset(narrow, rec.scopes)) throw new OAuthError('invalid_scope', 'A refresh may narrow the granted scopes, never widen them');
      scopes = narrow;
    }
    if (!(await this.d.grants.rotate(token))) {
      await this.d.grants.revokeFamily(rec.grantId);
      throw new OAuthError('invalid_grant', 'The refresh token was already used; every token of its grant is now revoked');
    }
    const { grantId, offline: _o, rotatedAt: _r, ...ctx } = rec;
    // The new refresh token keeps the original grant (a narrowed refresh can be widened back up to it, not beyond).
    const body = await this.issue(client, { ...ctx, scopes }, grantId, true, rec.scopes);
    await this.audit('token-refreshed', true, meta, this.eventOf({ ...ctx, scopes }, body));
    return body;
  }

  private async clientCredentials(client: RegisteredClient, form: URLSearchParams, meta: RequestMeta): Promise<Record<string, unknown>> {
    if (client.type !== 'backend') throw new OAuthError('unauthorized_client', 'client_credentials is for backend service clients');
    const asked = form.get('scope');
    if (!asked) throw new OAuthError('invalid_scope', 'scope is required');
    const scopes = allowedScopes(asked, client.scopes, this.d.resourceTypes, true);
    if (scopes.length === 0) throw new OAuthError('invalid_scope', 'None of the requested scopes is allowed for this client (system/ scopes it was registered with)');
    const ctx: GrantContext = { clientId: client.clientId, scopes };
    const body = await this.issue(client, ctx, undefined, false);
    await this.audit('token-issued', true, meta, this.eventOf(ctx, body));
    return body;
  }

  /** The token response (SMART App Launch 2.x app-launch.html#response-5). */
  private async issue(client: RegisteredClient, ctx: GrantContext, grantId: string | undefined, app: boolean, refreshScopes?: string[]): Promise<Record<string, unknown>> {
    const scope = ctx.scopes.join(' ');
    const issued = await this.d.tokens.sign({
      scope, clientId: client.clientId, expiresInSeconds: this.d.lifetimeSeconds,
      subject: ctx.subject ?? client.clientId,
      ...(ctx.patient !== undefined ? { patient: ctx.patient } : {}),
      ...(ctx.encounter !== undefined ? { encounter: ctx.encounter } : {}),
      ...(ctx.fhirUser !== undefined ? { fhirUser: ctx.fhirUser } : {}),
    });
    if (grantId !== undefined) await this.d.grants.addToken(grantId, issued.jti, issued.expiresAt);
    const body: Record<string, unknown> = { access_token: issued.token, token_type: 'Bearer', expires_in: this.d.lifetimeSeconds, scope };
    if (app) {
      if (ctx.patient !== undefined) body.patient = ctx.patient;
      if (ctx.encounter !== undefined) body.encounter = ctx.encounter;
      if (ctx.patient !== undefined) body.need_patient_banner = true;
      body.smart_style_url = this.d.styleUrl;
      if (ctx.scopes.includes('openid') && (ctx.scopes.includes('fhirUser') || ctx.scopes.includes('profile')) && ctx.username !== undefined) {
        body.id_token = await this.idToken(client, ctx);
      }
      const offline = ctx.scopes.includes('offline_access');
      if (grantId !== undefined && (offline || ctx.scopes.includes('online_access'))) {
        body.refresh_token = await this.d.grants.issueRefresh(grantId, { ...ctx, scopes: refreshScopes ?? ctx.scopes }, offline);
      }
    }
    return body;
  }

  /** The OpenID Connect id_token (Core §2), RS256, with SMART's `fhirUser` as an absolute URL. */
  private async idToken(client: RegisteredClient, ctx: GrantContext): Promise<string> {
    const { kid, key } = await this.d.keys.signingKey('RS256');
    const claims: Record<string, unknown> = {};
    if (ctx.fhirUser !== undefined && ctx.scopes.includes('fhirUser')) claims.fhirUser = `${this.d.baseUrl}/${ctx.fhirUser}`;
    if (ctx.nonce !== undefined) claims.nonce = ctx.nonce;
    if (ctx.authTime !== undefined) claims.auth_time = ctx.authTime;
    if (ctx.scopes.includes('profile')) claims.preferred_username = ctx.username;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(this.d.issuer).setSubject(ctx.subject ?? ctx.username!).setAudience(client.clientId)
      .setIssuedAt().setExpirationTime(`${this.d.lifetimeSeconds}s`).sign(key);
  }

  /** RFC 7662 for an authenticated client; an inactive token is exactly `{ active: false }`. */
  async introspect(req: ClientCredentials, meta: RequestMeta): Promise<Record<string, unknown>> {
    const client = await this.d.clientAuth.authenticate(req);
    if (client.type === 'public') throw new OAuthError('invalid_client', 'Introspection is for confidential and backend clients');
    const token = req.form.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const out = (await this.introspectAccess(token)) ?? (await this.introspectRefresh(token)) ?? { active: false };
    await this.audit('token-introspected', true, meta, { clientId: client.clientId, ...(typeof out.jti === 'string' ? { tokenId: out.jti } : {}) });
    return out;
  }

  private async introspectAccess(token: string): Promise<Record<string, unknown> | undefined> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.d.keySet.resolve, {
        issuer: this.d.issuer, audience: this.d.audience, algorithms: ['RS256', 'ES256'], clockTolerance: this.d.clockSkewSeconds, typ: 'at+jwt',
      }));
    } catch {
      return undefined;
    }
    if (typeof payload.jti !== 'string' || (await this.d.revocations.isRevoked(payload.jti))) return undefined;
    const out: Record<string, unknown> = { active: true, token_type: 'Bearer' };
    for (const k of ['scope', 'client_id', 'exp', 'iat', 'sub', 'iss', 'aud', 'jti', 'patient', 'encounter', 'fhirUser'] as const) {
      if (payload[k] !== undefined) out[k] = payload[k];
    }
    if (typeof out.fhirUser === 'string' && !out.fhirUser.includes('://')) out.fhirUser = `${this.d.baseUrl}/${out.fhirUser}`;
    return out;
  }

  private async introspectRefresh(token: string): Promise<Record<string, unknown> | undefined> {
    const rec = await this.d.grants.findRefresh(token);
    if (!rec || rec.rotatedAt !== undefined || (await this.d.grants.familyRevoked(rec.grantId))) return undefined;
    const out: Record<string, unknown> = { active: true, token_type: 'refresh_token', scope: rec.scopes.join(' '), client_id: rec.clientId };
    if (rec.subject !== undefined) out.sub = rec.subject;
    if (rec.patient !== undefined) out.patient = rec.patient;
    if (rec.fhirUser !== undefined) out.fhirUser = `${this.d.baseUrl}/${rec.fhirUser}`;
    return out;
  }

  /**
   * RFC 7009: revokes an access token (by its `jti`, at the resource server at once) or a refresh token (with its
   * grant's access tokens). Unknown or foreign tokens are answered the same way (200), as §2.2 asks.
   */
  async revoke(req: ClientCredentials, meta: RequestMeta): Promise<void> {
    const client = await this.d.clientAuth.authenticate(req);
    const token = req.form.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const access = await this.introspectAccess(token);
    if (access && access.client_id === client.clientId) {
      await this.d.revocations.revoke(access.jti as string, access.exp as number);
      await this.audit('token-revoked', true, meta, { clientId: client.clientId, tokenId: access.jti as string });
      return;
    }
    const rec = await this.d.grants.findRefresh(token);
    if (rec && rec.clientId === client.clientId) {
      await this.d.grants.deleteRefresh(token);
      await this.d.grants.revokeFamily(rec.grantId);
      await this.audit('token-revoked', true, meta, { clientId: client.clientId });
    }
  }

  private eventOf(ctx: GrantContext, body: Record<string, unknown>): Partial<SecurityEvent> {
    const e: Partial<SecurityEvent> = { clientId: ctx.clientId, scopes: ctx.scopes.join(' ') };
    if (ctx.username !== undefined) e.user = ctx.fhirUser ?? ctx.username;
    if (ctx.patient !== undefined) e.patient = ctx.patient;
    const jti = jtiOf(body.access_token);
    if (jti !== undefined) e.tokenId = jti;
    return e;
  }

  private async audit(kind: SecurityEvent['kind'], success: boolean, meta: RequestMeta, extra: Partial<SecurityEvent>): Promise<void> {
    await this.d.auditor.recordSecurity({
      kind, success, recorded: new Date().toISOString(), client: meta.client, ...(meta.requestId ? { requestId: meta.requestId } : {}), ...extra,
    });
  }
}

function jtiOf(token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown };
    return typeof payload.jti === 'string' ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}
