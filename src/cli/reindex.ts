/**
 * `node dist/src/cli/reindex.js [ResourceType ...]`: re-extracts search index values of stored resources
 * (all types when none is named), for example after adding a SearchParameter. Uses the same configuration
 * (VESTA_DATA_DIR...) as the server and may run while the server is up (SQLite WAL with a busy timeout).
 */
import { createApp } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logging/logger.js';
import { openStore } from '../store/factory.js';

async function main(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { store } = openStore(config, 'tool');
  try {
    const { deps, ready } = createApp({ config, store, log });
    await ready;
    const types = process.argv.slice(2);
    const started = Date.now();
    const job = await deps.reindex.runToCompletion(types, (j) => {
      process.stdout.write(`\rreindexed ${j.processed} of ${j.total}`);
    });
    process.stdout.write(`\rreindexed ${job.processed} of ${job.total} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${job.status}\n`);
    return job.status === 'completed' ? 0 : 1;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`vesta reindex: ${e instanceof ConfigError ? 'invalid configuration: ' : ''}${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
