import type { JWK } from 'jose';
import type { AuthStateStore } from '../../store/auth-state.js';
import { hashSecret, randomToken } from './secrets.js';

/**
 * The kinds of OAuth client (SMART App Launch 2.x client-public / client-confidential-symmetric /
 * client-confidential-asymmetric, and SMART Backend Services).
 */
export const CLIENT_TYPES = ['public', 'confidential', 'asymmetric', 'backend'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** A registered client as stored: the secret only as a scrypt hash. */
export interface RegisteredClient {
  clientId: string;
  name: string;
  type: ClientType;
  /** The scopes the client may ask for (space-separated; resource scopes may be wildcards). */
  scopes: string;
  redirectUris: string[];
  secretHash?: string;
  /** The client's public keys (asymmetric and backend): by value or by URL. */
  jwks?: { keys: JWK[] };
  jwksUrl?: string;
  createdAt: string;
}

/** What `client add` takes. */
export interface ClientRegistration {
  name: string;
  type: ClientType;
  scopes: string;
  redirectUris?: string[];
  jwks?: { keys: JWK[] };
  jwksUrl?: string;
}

const KIND = 'oauth-client';

/** The registered OAuth clients, kept in the store's auth state. */
export class ClientRegistry {
  constructor(private readonly state: AuthStateStore) {}

  /** Registers a client; returns it and, for a confidential client, its secret (shown once, stored only hashed). */
  async add(reg: ClientRegistration): Promise<{ client: RegisteredClient; secret?: string }> {
    const redirectUris = reg.redirectUris ?? [];
    if (reg.name.trim() === '') throw new Error('a client needs a name');
    if (reg.type === 'backend') {
      if (redirectUris.length > 0) throw new Error('a backend client has no redirect URI');
      if (reg.scopes.split(/\s+/).some((s) => s !== '' && !s.startsWith('system/'))) throw new Error('a backend client takes system/ scopes only');
    } else if (redirectUris.length === 0) throw new Error('an app client needs at least one --redirect-uri');
    for (const uri of redirectUris) {
      const u = new URL(uri);
      if (u.hash !== '') throw new Error(`a redirect URI has no fragment (RFC 6749 §3.1.2): ${uri}`);
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname))) {
        throw new Error(`a redirect URI must be https (or http on a loopback host): ${uri}`);
      }
    }
    const keyed = reg.type === 'asymmetric' || reg.type === 'backend';
    if (keyed && !reg.jwks && !reg.jwksUrl) throw new Error(`a ${reg.type} client needs --jwks-file or --jwks-url`);
    if (!keyed && (reg.jwks || reg.jwksUrl)) throw new Error(`a ${reg.type} client has no keys`);
    const client: RegisteredClient = {
      clientId: randomToken(12), name: reg.name.trim(), type: reg.type, scopes: reg.scopes.trim(), redirectUris, createdAt: new Date().toISOString(),
    };
    if (reg.jwks) client.jwks = { keys: reg.jwks.keys.map(publicOnly) };
    if (reg.jwksUrl) client.jwksUrl = new URL(reg.jwksUrl).toString();
    let secret: string | undefined;
    if (reg.type === 'confidential') {
      secret = randomToken(32);
      client.secretHash = await hashSecret(secret);
    }
    await this.state.put({ kind: KIND, id: client.clientId, value: client });
    return secret !== undefined ? { client, secret } : { client };
  }

  async get(clientId: string): Promise<RegisteredClient | undefined> {
    return (await this.state.get<RegisteredClient>(KIND, clientId))?.value;
  }

  async list(): Promise<RegisteredClient[]> {
    return (await this.state.list<RegisteredClient>(KIND)).map((r) => r.value);
  }

  async remove(clientId: string): Promise<boolean> {
    if (!(await this.get(clientId))) return false;
    await this.state.delete(KIND, clientId);
    return true;
  }
}

/** A JWK without private members: a client that pastes its private key by mistake does not get it stored. */
function publicOnly(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, oth: _oth, ...pub } = jwk;
  return pub;
}
