import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { CLIENT_TYPES, ClientRegistry } from '../../auth/server/clients.js';
import type { ClientType, RegisteredClient } from '../../auth/server/clients.js';
import { openStore } from '../../store/factory.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';

const USAGE = `Usage:
  vesta client add --type public|confidential|asymmetric|backend --name NAME --scopes "..." [--redirect-uri URI]...
                   [--jwks-file FILE | --jwks-url URL] [--json]
  vesta client list [--json]
  vesta client remove CLIENT_ID [--json]

add prints the client id and, for a confidential client, its secret: shown once, stored only as a hash.
public: browser or mobile apps (PKCE, no secret); confidential: client_secret_basic; asymmetric: private_key_jwt with
the app's keys; backend: SMART Backend Services (client_credentials, system/ scopes, no redirect URI).`;

const view = (c: RegisteredClient) => ({
  client_id: c.clientId, name: c.name, type: c.type, scopes: c.scopes, redirect_uris: c.redirectUris,
  ...(c.jwksUrl ? { jwks_url: c.jwksUrl } : {}), ...(c.jwks ? { jwks_keys: c.jwks.keys.length } : {}), created_at: c.createdAt,
});

/** `vesta client`: OAuth clients of the built-in authorization server. */
export const clientCommand: Command = {
  name: 'client',
  summary: 'Register, list or remove SMART apps and backend services (OAuth clients)',
  usage: USAGE,
  async run(args, ctx) {
    const [verb, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest, strict: true, allowPositionals: true,
      options: {
        type: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' }, 'redirect-uri': { type: 'string', multiple: true },
        'jwks-file': { type: 'string' }, 'jwks-url': { type: 'string' },
      },
    });
    const { store, authState } = await openStore(ctx.config, 'tool');
    try {
      const clients = new ClientRegistry(authState);
      switch (verb) {
        case 'add': {
          const type = values.type as ClientType | undefined;
          if (!type || !(CLIENT_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${CLIENT_TYPES.join(', ')}`);
          if (!values.name) throw new UsageError('--name is required');
          if (!values.scopes?.trim()) throw new UsageError('--scopes is required');
          if (values['jwks-file'] && values['jwks-url']) throw new UsageError('--jwks-file or --jwks-url, not both');
          let jwks: { keys: JWK[] } | undefined;
          if (values['jwks-file']) {
            jwks = JSON.parse(fs.readFileSync(values['jwks-file'], 'utf8')) as { keys: JWK[] };
            if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new UsageError('--jwks-file must hold a JWK Set with at least one key');
          }
          const { client, secret } = await clients.add({
            type, name: values.name, scopes: values.scopes, redirectUris: values['redirect-uri'] ?? [],
            ...(jwks ? { jwks } : {}), ...(values['jwks-url'] ? { jwksUrl: values['jwks-url'] } : {}),
          });
          if (ctx.json) ctx.out(JSON.stringify({ ...view(client), ...(secret ? { client_secret: secret } : {}) }));
          else ctx.out(`client_id: ${client.clientId}${secret ? `\nclient_secret: ${secret}\n(the secret is shown only now; store it safely)` : ''}`);
          return 0;
        }
        case 'list': {
          const all = (await clients.list()).map(view);
          ctx.out(ctx.json ? JSON.stringify({ clients: all }) : all.map((c) => `${c.client_id}  ${c.type}  ${c.name}  ${c.scopes}`).join('\n') || '(no clients)');
          return 0;
        }
        case 'remove': {
          const id = positionals[0];
          if (!id) throw new UsageError('remove needs a client id');
          const removed = await clients.remove(id);
          ctx.out(ctx.json ? JSON.stringify({ client_id: id, removed }) : removed ? `removed ${id}` : `no client ${id}`);
          return removed ? 0 : 1;
        }
        default:
          throw new UsageError('expected add, list or remove');
      }
    } finally {
      await store.close();
    }
  },
};
