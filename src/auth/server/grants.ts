import type { AuthStateStore } from '../../store/auth-state.js';
import type { RevocationList } from '../revocations.js';
import { randomToken, secretId } from './secrets.js';

/** Who and what a grant is for: fixed when the user approves, carried by its code and refresh tokens. */
export interface GrantContext {
  clientId: string;
  /** The granted scopes (the user's approved subset). */
  scopes: string[];
  username?: string;
  /** The user's opaque subject id (`sub`). */
  subject?: string;
  fhirUser?: string;
  patient?: string;
  encounter?: string;
  /** OIDC nonce from the authorization request, echoed in the id_token. */
  nonce?: string;
  /** Epoch seconds of the login (OIDC `auth_time`). */
  authTime?: number;
}

/** An authorization code as stored (under the code's hash): the grant plus what the exchange must match. */
export interface CodeRecord extends GrantContext {
  grantId: string;
  redirectUri: string;
  codeChallenge: string;
}

/** A refresh token as stored (under its hash). */
export interface RefreshRecord extends GrantContext {
  grantId: string;
  offline: boolean;
  /** Set when it was exchanged: presenting it again means it leaked (OAuth 2.0 Security BCP §4.14.2). */
  rotatedAt?: string;
}

/** A grant family: every access token issued from one authorization, so a reused code can revoke them all. */
interface FamilyRecord {
  tokens: { jti: string; exp: number }[];
  revoked?: boolean;
}

const CODE = 'auth-code';
const USED_CODE = 'used-code';
const REFRESH = 'refresh-token';
const FAMILY = 'grant';
/** RFC 6749 §4.1.2 recommends at most ten minutes; a minute is plenty for an app's redirect and exchange. */
export const CODE_LIFETIME_SECONDS = 60;
const FAMILY_LIFETIME_MS = 90 * 86_400_000;
/** Offline refresh tokens live 30 days; online ones as long as a working session (8 hours). */
const OFFLINE_MS = 30 * 86_400_000;
const ONLINE_MS = 8 * 3_600_000;

/**
 * Authorization codes, refresh tokens and grant families in the store's auth state. Codes and refresh tokens are
 * stored under their SHA-256, never in clear. A code is taken once; presenting it again revokes every token of its
 * grant (RFC 6749 §4.1.2). A refresh token rotates on use; presenting a rotated one revokes its family.
 */
export class GrantStore {
  constructor(private readonly state: AuthStateStore, private readonly revocations: RevocationList) {}

  async issueCode(record: Omit<CodeRecord, 'grantId'>): Promise<string> {
    const code = randomToken(32);
    const grantId = randomToken(16);
    await this.state.put({ kind: FAMILY, id: grantId, value: { tokens: [] } satisfies FamilyRecord, expiresAt: Date.now() + FAMILY_LIFETIME_MS });
    await this.state.put({ kind: CODE, id: secretId(code), value: { ...record, grantId }, expiresAt: Date.now() + CODE_LIFETIME_SECONDS * 1000 });
    return code;
  }

  /** The code's grant, consumed; on a second use its family is revoked and undefined returned. */
  async takeCode(code: string): Promise<{ record?: CodeRecord; reused: boolean }> {
    const id = secretId(code);
    const taken = await this.state.take<CodeRecord>(CODE, id);
    if (taken) {
      await this.state.put({ kind: USED_CODE, id, value: { grantId: taken.value.grantId }, expiresAt: Date.now() + FAMILY_LIFETIME_MS });
      return { record: taken.value, reused: false };
    }
    const used = await this.state.get<{ grantId: string }>(USED_CODE, id);
    if (!used) return { reused: false };
    await this.revokeFamily(used.value.grantId);
    return { reused: true };
  }

  /** Notes an access token of a grant, so that the grant's revocation reaches it. */
  async addToken(grantId: string, jti: string, exp: number): Promise<void> {
    const rec = await this.state.get<FamilyRecord>(FAMILY, grantId);
    if (!rec) return;
    const now = Date.now() / 1000;
    const tokens = [...rec.value.tokens.filter((t) => t.exp > now), { jti, exp }];
    await this.state.put({ ...rec, value: { ...rec.value, tokens } });
  }

  async familyRevoked(grantId: string): Promise<boolean> {
    const rec = await this.state.get<FamilyRecord>(FAMILY, grantId);
    return !rec || rec.value.revoked === true;
  }

  /** Revokes every live access token of a grant and marks it, so its refresh tokens stop too. */
  async revokeFamily(grantId: string): Promise<void> {
    const rec = await this.state.get<FamilyRecord>(FAMILY, grantId);
    if (!rec) return;
    await this.state.put({ ...rec, value: { ...rec.value, revoked: true } });
    for (const t of rec.value.tokens) await this.revocations.revoke(t.jti, t.exp);
  }

  async issueRefresh(grantId: string, ctx: GrantContext, offline: boolean): Promise<string> {
    const token = randomToken(32);
    const value: RefreshRecord = { ...ctx, grantId, offline };
    await this.state.put({ kind: REFRESH, id: secretId(token), value, expiresAt: Date.now() + (offline ? OFFLINE_MS : ONLINE_MS) });
    return token;
  }

  /** A live refresh token's record (rotated ones included: the caller decides), or undefined. */
  async findRefresh(token: string): Promise<RefreshRecord | undefined> {
    return (await this.state.get<RefreshRecord>(REFRESH, secretId(token)))?.value;
  }

  /** Marks a refresh token as exchanged; false when another request rotated it first. */
  async rotate(token: string): Promise<boolean> {
    const id = secretId(token);
    const rec = await this.state.take<RefreshRecord>(REFRESH, id);
    if (!rec || rec.value.rotatedAt !== undefined) {
      if (rec) await this.state.put(rec);
      return false;
    }
    await this.state.put({ ...rec, value: { ...rec.value, rotatedAt: new Date().toISOString() } });
    return true;
  }

  async deleteRefresh(token: string): Promise<void> {
    await this.state.delete(REFRESH, secretId(token));
  }
}
