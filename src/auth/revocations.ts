import type { AuthStateStore } from '../store/auth-state.js';

const KIND = 'revoked-token';

/** How old the in-memory copy may be before the next check reloads it (revocations by other processes). */
const REFRESH_MS = 1000;

/**
 * Revoked token ids (`jti`), kept in the store's auth state so every server process (and the CLI) shares them. Each
 * entry lives as long as the token could. A revocation made through this process stops the token here at once;
 * one made by another process (the CLI, another node) within a second, when this process next reloads its copy:
 * checking the store on every request would cost as much as the read it guards.
 */
export class RevocationList {
  private revoked = new Set<string>();
  /** Revocations made through this process, with their end (epoch ms): kept across reloads that raced with them. */
  private readonly local = new Map<string, number>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(private readonly state: AuthStateStore) {}

  /** Revokes `jti` until `expiresAt` (epoch seconds; a day when unknown). */
  async revoke(jti: string, expiresAt?: number): Promise<void> {
    const until = expiresAt !== undefined ? expiresAt * 1000 : Date.now() + 86_400_000;
    await this.state.put({ kind: KIND, id: jti, value: { revokedAt: new Date().toISOString() }, expiresAt: until });
    this.local.set(jti, until);
    this.revoked.add(jti);
  }

  /** Whether `jti` is revoked: at once from the in-memory copy, or after reloading a copy older than a second. */
  isRevoked(jti: string): boolean | Promise<boolean> {
    if (Date.now() - this.loadedAt > REFRESH_MS) return this.reload().then(() => this.revoked.has(jti));
    return this.revoked.size !== 0 && this.revoked.has(jti);
  }

  private reload(): Promise<void> {
    this.loading ??= this.state.list(KIND).then((records) => {
      const fresh = new Set(records.map((r) => r.id));
      const now = Date.now();
      for (const [jti, until] of this.local) {
        if (until <= now) this.local.delete(jti);
        else fresh.add(jti);
      }
      this.revoked = fresh;
      this.loadedAt = Date.now();
    }).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
