import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { KeyRing } from './key-ring.js';

/** The least time between two reloads of the key ring on an unknown `kid` (a flood of bad tokens cannot make more). */
const RELOAD_FLOOR_MS = 5000;

/**
 * Vesta's own public keys for verifying its tokens: loaded from the key ring, reloaded when a token names a `kid`
 * not seen yet (a rotation by another process), at most once per floor.
 */
export class LocalKeySet {
  private current: JWTVerifyGetKey | undefined;
  private kids = new Set<string>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(private readonly keys: KeyRing) {}

  /** A jose key resolver. */
  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    const kid = header.kid;
    if (!this.current || (kid !== undefined && !this.kids.has(kid) && Date.now() - this.loadedAt >= RELOAD_FLOOR_MS)) await this.reload();
    return this.current!(header, token);
  };

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const jwks = await this.keys.jwks();
        this.current = createLocalJWKSet(jwks);
        this.kids = new Set(jwks.keys.map((k) => k.kid ?? ''));
        this.loadedAt = Date.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
