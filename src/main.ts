import type http from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logging/logger.js';
import { createNodeServer } from './http/node-server.js';
import { trackConnections } from './http/graceful-close.js';
import { openStore } from './store/factory.js';

/** Process entry: configuration, dependencies, listen, graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`vesta: invalid configuration: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  const opened = await openStore(config, 'server', (msg, meta) => log.info(msg, meta));
  const { store } = opened;
  // Listen before building the app so that with PORT=0 the base URL (links, Location, fullUrl) has the real port.
  // Until the app is built, answer 503 rather than leave early connections (probes) hanging.
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Retry-After': '1' });
    res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', diagnostics: 'Vesta is starting' }] }));
  };
  const { server, adopt } = createNodeServer((req, res) => handler(req, res), { maxHeaderSize: config.maxHeaderBytes });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  const connections = trackConnections(server);
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const base = process.env.VESTA_BASE_URL ? config.baseUrl : config.baseUrl.replace(/:\d+\/fhir$/, `:${port}/fhir`);
  if (config.auth.mode === 'off') {
    log.warn('AUTHORIZATION IS OFF (VESTA_AUTH=off): anyone who can reach this server can read and change every resource; development only');
  }
  if (!config.audit.enabled) {
    log.warn('AUDIT IS OFF (VESTA_AUDIT=off): accesses are not recorded; benchmarks and development only');
  }
  const app = createApp({ config: { ...config, baseUrl: base }, store, authState: opened.authState, auditTrail: opened.auditTrail, log });
  await app.ready;
  const warm = await opened.ready();
  adopt(app.http);
  handler = app.http;
  log.info('listening', { baseUrl: base, auth: config.auth.mode, issuers: app.auth.issuers, ...opened.description, warmedMiB: Math.round(warm.warmedBytes / 1048576), warmMs: Math.round(warm.ms) });
  process.stdout.write(`Vesta FHIR R4 server ready at ${base}\n`);

  const stopAuditMaintenance = app.audit?.start(config.audit.checkpointMinutes);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => log.warn('grace period over; closing remaining connections'), config.shutdownGraceSeconds * 1000);
    force.unref();
    // Every response in flight is written to the end, however slowly its client reads (graceful-close.ts).
    void connections.close(config.shutdownGraceSeconds * 1000).then(() => {
      clearTimeout(force);
      stopAuditMaintenance?.();
      // The trail's head at shutdown is signed, so a verifier can tell whether records were cut off the end later.
      (app.audit?.checkpoint() ?? Promise.resolve())
        .catch((e: unknown) => log.error('final audit checkpoint failed', { error: e instanceof Error ? e.message : String(e) }))
        .then(() => app.close())
        .then(() => store.close())
        .then(() => {
          log.info('stopped');
          process.exit(0);
        })
        .catch((e: unknown) => {
          log.error('store close failed', { error: String(e) });
          process.exit(1);
        });
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`vesta: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
