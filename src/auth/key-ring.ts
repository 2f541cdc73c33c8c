import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AuthStateStore } from '../store/auth-state.js';
import type { SecretBox } from './secret-box.js';

/** The algorithms Vesta signs with and accepts (never `none`, never an HMAC). */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
/** One of them. */
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A signing key as stored: public JWK in the clear, private JWK sealed by the SecretBox. */
interface StoredKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: JWK;
  sealedPrivateJwk: string;
  createdAt: string;
  retiredAt?: string;
}

/** What `vesta keys list` shows of a key: never its private part. */
export interface KeySummary {
  kid: string;
  alg: SigningAlgorithm;
  createdAt: string;
  retiredAt?: string;
  /** Until when it stays in the JWKS (tokens it signed may still be live). */
  publishedUntil?: string;
}

const KIND = 'signing-key';

/**
 * Vesta's signing keys (RS256 and ES256), kept in the store's auth state with their private parts sealed: generated
 * on first use, rotated on demand (`vesta keys rotate`). A retired key stays published in the JWKS until every
 * token it can have signed has expired, then its record expires. Several processes (the server, the CLI) share one
 * key ring through the store.
 */
export class KeyRing {
  private readonly privateKeys = new Map<string, CryptoKey>();

  /** `retireGraceMs`: how long a retired key stays published (the longest token lifetime plus clock skew). */
  constructor(private readonly state: AuthStateStore, private readonly box: SecretBox, private readonly retireGraceMs: number) {}

  /** Makes sure an active key of every algorithm exists; returns the active keys. */
  async ensure(): Promise<KeySummary[]> {
    const keys = await this.stored();
    for (const alg of SIGNING_ALGORITHMS) {
      if (!keys.some((k) => k.alg === alg && k.retiredAt === undefined)) keys.push(await this.generate(alg));
    }
    return keys.filter((k) => k.retiredAt === undefined).map(summary);
  }

  /** Retires the active keys and creates new ones; the old ones stay published until their tokens expire. */
  async rotate(): Promise<KeySummary[]> {
    const now = Date.now();
    const fresh = await Promise.all(SIGNING_ALGORITHMS.map((alg) => this.generate(alg)));
    for (const k of await this.stored()) {
      if (k.retiredAt !== undefined || fresh.some((f) => f.kid === k.kid)) continue;
      await this.state.put({ kind: KIND, id: k.kid, value: { ...k, retiredAt: new Date(now).toISOString() }, expiresAt: now + this.retireGraceMs });
    }
    return fresh.map(summary);
  }

  /** Every key still published, newest first. */
  async list(): Promise<KeySummary[]> {
    const records = await this.state.list<StoredKey>(KIND);
    return records.map((r) => ({ ...summary(r.value), ...(r.expiresAt !== undefined ? { publishedUntil: new Date(r.expiresAt).toISOString() } : {}) }))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The JWKS (RFC 7517) of every published key: public parts only, with `kid`, `alg` and `use`. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.stored();
    return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  /** The newest active key of `alg`, ready to sign, with its `kid`. */
  async signingKey(alg: SigningAlgorithm = 'RS256'): Promise<{ kid: string; key: CryptoKey }> {
    const active = (await this.stored()).filter((k) => k.alg === alg && k.retiredAt === undefined);
    const newest = active.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? (await this.generate(alg));
    let key = this.privateKeys.get(newest.kid);
    if (!key) {
      key = (await importJWK(JSON.parse(this.box.open(newest.sealedPrivateJwk)) as JWK, alg)) as CryptoKey;
      this.privateKeys.set(newest.kid, key);
    }
    return { kid: newest.kid, key };
  }

  private async stored(): Promise<StoredKey[]> {
    return (await this.state.list<StoredKey>(KIND)).map((r) => r.value);
  }

  private async generate(alg: SigningAlgorithm): Promise<StoredKey> {
    const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const publicJwk = await exportJWK(pair.publicKey);
    const privateJwk = await exportJWK(pair.privateKey);
    // The thumbprint names the key by its content; the suffix keeps two keys generated at once apart.
    const kid = `${await calculateJwkThumbprint(publicJwk)}.${randomUUID().slice(0, 8)}`;
    const key: StoredKey = {
      kid, alg, publicJwk, sealedPrivateJwk: this.box.seal(JSON.stringify(privateJwk)), createdAt: new Date().toISOString(),
    };
    await this.state.put({ kind: KIND, id: kid, value: key });
    this.privateKeys.set(kid, pair.privateKey as CryptoKey);
    return key;
  }
}

function summary(k: StoredKey): KeySummary {
  const s: KeySummary = { kid: k.kid, alg: k.alg, createdAt: k.createdAt };
  if (k.retiredAt !== undefined) s.retiredAt = k.retiredAt;
  return s;
}
