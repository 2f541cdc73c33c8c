import { toolTokens } from '../../auth/setup.js';
import { openStore } from '../../store/factory.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';

/** `vesta keys list|rotate`: Vesta's signing keys (public facts only; private parts never leave the store sealed). */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'List or rotate Vesta\'s token signing keys',
  usage: `Usage: vesta keys list [--json]
       vesta keys rotate [--json]

rotate creates new RS256 and ES256 keys and retires the current ones; retired keys stay in the JWKS until every
token they signed has expired, so tokens in use keep working.`,
  async run(args, ctx) {
    const [verb, ...rest] = args;
    if ((verb !== 'list' && verb !== 'rotate') || rest.length > 0) throw new UsageError('expected "list" or "rotate"');
    const { store, authState } = await openStore(ctx.config, 'tool');
    try {
      const { keys } = await toolTokens(ctx.config, authState);
      if (verb === 'rotate') {
        const fresh = await keys.rotate();
        ctx.out(ctx.json ? JSON.stringify({ rotated: fresh }) : fresh.map((k) => `new ${k.alg} key ${k.kid}`).join('\n'));
        return 0;
      }
      await keys.ensure();
      const all = await keys.list();
      if (ctx.json) ctx.out(JSON.stringify({ keys: all }));
      else ctx.out(all.map((k) => `${k.kid}  ${k.alg}  created ${k.createdAt}${k.retiredAt ? `  retired ${k.retiredAt}, published until ${k.publishedUntil}` : '  active'}`).join('\n'));
      return 0;
    } finally {
      await store.close();
    }
  },
};
