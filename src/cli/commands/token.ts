import { parseArgs } from 'node:util';
import { toolTokens } from '../../auth/setup.js';
import { RevocationList } from '../../auth/revocations.js';
import { openStore } from '../../store/factory.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';

/** The client id of tokens the CLI signs: an operator tool, so `system/` scopes are allowed. */
export const OPERATOR_CLIENT = 'vesta-cli';

const USAGE = `Usage:
  vesta token --scopes "<space-separated scopes>" [--patient ID] [--fhir-user Practitioner/ID] [--encounter ID]
              [--client ID] [--expires-in SECONDS] [--expired] [--json]
  vesta token revoke --jti ID [--json]

Prints one access token signed with Vesta's current key (the bare JWT on one line, or with --json an object with
access_token, jti and expires_at), which the server accepts with VESTA_AUTH=builtin. --patient '' means no patient
in context. --expired prints a token whose exp has passed, otherwise valid. "revoke" stops a token by its jti at once.`;

/** `vesta token`: signs an access token for operators and tests (SMART scopes, launch context), or revokes one. */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'Print a signed access token for given SMART scopes (or revoke one by its jti)',
  usage: USAGE,
  async run(args, ctx) {
    const revoke = args[0] === 'revoke';
    const { values } = parseArgs({
      args: revoke ? args.slice(1) : args, strict: true, allowPositionals: false,
      options: {
        scopes: { type: 'string' }, patient: { type: 'string' }, 'fhir-user': { type: 'string' }, encounter: { type: 'string' },
        client: { type: 'string' }, 'expires-in': { type: 'string' }, expired: { type: 'boolean' }, jti: { type: 'string' },
      },
    });
    const { store, authState } = await openStore(ctx.config, 'tool');
    try {
      if (revoke) {
        if (!values.jti) throw new UsageError('revoke needs --jti');
        await new RevocationList(authState).revoke(values.jti);
        ctx.out(ctx.json ? JSON.stringify({ revoked: values.jti }) : `revoked ${values.jti}`);
        return 0;
      }
      if (!values.scopes?.trim()) throw new UsageError('--scopes is required, e.g. --scopes "patient/*.rs"');
      const expiresIn = values['expires-in'] === undefined ? ctx.config.auth.tokenLifetimeSeconds : Number(values['expires-in']);
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 31_536_000) throw new UsageError('--expires-in must be a whole number of seconds (1 to 31536000)');
      const { keys, tokens } = await toolTokens(ctx.config, authState);
      await keys.ensure();
      const issued = await tokens.sign({
        scope: values.scopes.trim(), clientId: values.client ?? OPERATOR_CLIENT, expiresInSeconds: expiresIn, expired: values.expired === true,
        ...(values.patient ? { patient: values.patient } : {}),
        ...(values['fhir-user'] ? { fhirUser: values['fhir-user'] } : {}),
        ...(values.encounter ? { encounter: values.encounter } : {}),
      });
      ctx.out(ctx.json ? JSON.stringify({ access_token: issued.token, token_type: 'Bearer', jti: issued.jti, expires_at: issued.expiresAt }) : issued.token);
      if (ctx.config.auth.mode !== 'builtin') ctx.err(`note: the server runs with VESTA_AUTH=${ctx.config.auth.mode}; it accepts Vesta's own tokens only with builtin`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
