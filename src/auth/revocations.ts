import type { AuthStateStore } from '../store/auth-state.js';

const KIND = 'revoked-token';

/**
 * Revoked token ids (`jti`), in the store's auth state so a revocation by the CLI or the authorization server
 * stops the token at every server process at once. Each entry lives as long as the token could.
 */
export class RevocationList {
  constructor(private readonly state: AuthStateStore) {}

  /** Revokes `jti` until `expiresAt` (epoch seconds; a day when unknown). */
  async revoke(jti: string, expiresAt?: number): Promise<void> {
    const until = expiresAt !== undefined ? expiresAt * 1000 : Date.now() + 86_400_000;
    await this.state.put({ kind: KIND, id: jti, value: { revokedAt: new Date().toISOString() }, expiresAt: until });
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.state.get(KIND, jti)) !== undefined;
  }
}
