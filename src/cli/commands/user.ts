import { parseArgs } from 'node:util';
import { userDirectory } from '../../auth/server/authorization-server.js';
import { openStore } from '../../store/factory.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { readPassword } from './password-input.js';

const USAGE = `Usage:
  vesta user add NAME [--fhir-user Patient/123|Practitioner/456] [--json]   password from stdin (piped, or typed without echo)
  vesta user list [--json]
  vesta user disable NAME [--json]
  vesta user enable NAME [--json]
  vesta user passwd NAME [--json]                                          new password from stdin

Users log in at the built-in authorization server's login page. Passwords are stored as scrypt hashes only.`;

/** `vesta user`: the users of the built-in authorization server. */
export const userCommand: Command = {
  name: 'user',
  summary: 'Add, list, disable or re-password users of the built-in authorization server',
  usage: USAGE,
  async run(args, ctx) {
    const [verb, ...rest] = args;
    const { values, positionals } = parseArgs({ args: rest, strict: true, allowPositionals: true, options: { 'fhir-user': { type: 'string' } } });
    const name = positionals[0];
    if (verb !== 'list' && (name === undefined || positionals.length !== 1)) throw new UsageError(`${verb ?? 'a verb'} needs one user name`);
    const { store, authState } = await openStore(ctx.config, 'tool');
    try {
      const users = userDirectory(ctx.config, authState);
      switch (verb) {
        case 'add': {
          const user = await users.add(name!, await readPassword('Password: '), values['fhir-user']);
          ctx.out(ctx.json ? JSON.stringify({ username: user.username, fhirUser: user.fhirUser ?? null }) : `added user ${user.username}${user.fhirUser ? ` (${user.fhirUser})` : ''}`);
          return 0;
        }
        case 'list': {
          const all = (await users.list()).map((u) => ({ username: u.username, fhirUser: u.fhirUser ?? null, disabled: u.disabled, createdAt: u.createdAt }));
          ctx.out(ctx.json ? JSON.stringify({ users: all }) : all.map((u) => `${u.username}  ${u.fhirUser ?? '-'}${u.disabled ? '  disabled' : ''}`).join('\n') || '(no users)');
          return 0;
        }
        case 'disable':
        case 'enable':
          await users.setDisabled(name!, verb === 'disable');
          ctx.out(ctx.json ? JSON.stringify({ username: name, disabled: verb === 'disable' }) : `${verb}d ${name}`);
          return 0;
        case 'passwd':
          await users.setPassword(name!, await readPassword('New password: '));
          ctx.out(ctx.json ? JSON.stringify({ username: name, passwordChanged: true }) : `changed the password of ${name}`);
          return 0;
        default:
          throw new UsageError('expected add, list, disable, enable or passwd');
      }
    } finally {
      await store.close();
    }
  },
};
