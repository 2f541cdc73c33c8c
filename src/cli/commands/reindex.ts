import { createApp } from '../../app.js';
import { createLogger } from '../../logging/logger.js';
import { openStore } from '../../store/factory.js';
import type { Command } from '../command.js';

/**
 * `vesta reindex [ResourceType ...]`: re-extracts the search index values of stored resources (all types when none
 * is named), for example after adding a SearchParameter. Safe while the server runs (SQLite WAL, busy timeout).
 */
export const reindexCommand: Command = {
  name: 'reindex',
  summary: 'Re-extract search index values of stored resources (after adding a SearchParameter)',
  usage: 'Usage: vesta reindex [ResourceType ...] [--json]\n\nRe-indexes every resource of the named types (all types when none is named).',
  async run(args, ctx) {
    const { config } = ctx;
    const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const { store, authState } = await openStore(config, 'tool');
    try {
      const { deps, ready } = createApp({ config, store, authState, log });
      await ready;
      const started = Date.now();
      const job = await deps.reindex.runToCompletion(args, (j) => {
        if (!ctx.json) process.stderr.write(`\rreindexed ${j.processed} of ${j.total}`);
      });
      const seconds = (Date.now() - started) / 1000;
      if (ctx.json) ctx.out(JSON.stringify({ status: job.status, processed: job.processed, total: job.total, seconds }));
      else ctx.out(`\rreindexed ${job.processed} of ${job.total} in ${seconds.toFixed(1)} s: ${job.status}`);
      return job.status === 'completed' ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};
