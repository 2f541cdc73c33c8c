/**
 * The ceiling Vesta is measured against: the least an Express 5 + better-sqlite3 server can do
 * to honour the same FHIR REST contract (create, read, update with If-Match) with the same
 * durability (WAL, synchronous=FULL). No validation, no indexing, no history, no audit, no auth:
 * whatever Vesta spends beyond this is the price of being a real FHIR server.
 *
 * Run: PORT=8081 HOST=127.0.0.1 DATA_DIR=/tmp/ceiling node dist/bench/ceiling-server.js
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createNodeServer } from '../src/http/node-server.js';
import express, { type NextFunction, type Request, type Response } from 'express';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

interface Row {
  version: number;
  content: string;
}

function outcome(res: Response, status: number, code: string, text: string): void {
  res
    .status(status)
    .type(FHIR_JSON)
    .send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] }));
}

function isResource(body: unknown, type: string): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && (body as { resourceType?: unknown }).resourceType === type;
}

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header);
  return m ? Number(m[1]) : Number.NaN;
}

function main(): void {
  const port = Number(process.env.PORT ?? 8081);
  const host = process.env.HOST ?? '127.0.0.1';
  const dataDir = path.resolve(process.env.DATA_DIR ?? './data/ceiling');
  const base = `http://${host}:${port}/fhir`;
  fs.mkdirSync(dataDir, { recursive: true });

  const db = new Database(path.join(dataDir, 'ceiling.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS resources (
    type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    last_updated TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (type, id))`);
  const insert = db.prepare('INSERT INTO resources (type, id, version, last_updated, content) VALUES (?, ?, ?, ?, ?)');
  const select = db.prepare<[string, string], Row>('SELECT version, content FROM resources WHERE type = ? AND id = ?');
  const update = db.prepare(
    'UPDATE resources SET version = ?, last_updated = ?, content = ? WHERE type = ? AND id = ? AND version = ?',
  );

  const app = express();
  app.disable('x-powered-by');
  // Our own ETag is the version; Express's body hash would be wasted work.
  app.set('etag', false);
  const json = express.json({ type: ['application/fhir+json', 'application/json'], limit: '16mb' });

  app.get('/readyz', (_req, res) => {
    res.status(200).type('text/plain').send('ok');
  });

  app.post('/fhir/:type', json, (req: Request<{ type: string }>, res) => {
    const { type } = req.params;
    if (!isResource(req.body, type)) return outcome(res, 400, 'invalid', `body must be a ${type}`);
    const id = randomUUID();
    const now = new Date().toISOString();
    const meta = { ...(req.body.meta as object | undefined), versionId: '1', lastUpdated: now };
    const text = JSON.stringify({ ...req.body, id, meta });
    insert.run(type, id, 1, now, text);
    res
      .status(201)
      .set({ Location: `${base}/${type}/${id}/_history/1`, ETag: 'W/"1"', 'Last-Modified': new Date(now).toUTCString() })
      .type(FHIR_JSON)
      .send(text);
  });

  app.get('/fhir/:type/:id', (req: Request<{ type: string; id: string }>, res) => {
    const row = select.get(req.params.type, req.params.id);
    if (!row) return outcome(res, 404, 'not-found', `${req.params.type}/${req.params.id} is not known`);
    res.status(200).set('ETag', `W/"${row.version}"`).type(FHIR_JSON).send(row.content);
  });

  app.put('/fhir/:type/:id', json, (req: Request<{ type: string; id: string }>, res) => {
    const { type, id } = req.params;
    if (!isResource(req.body, type)) return outcome(res, 400, 'invalid', `body must be a ${type}`);
    if (req.body.id !== id) return outcome(res, 400, 'invalid', 'body id must match the URL id');
    const expected = parseIfMatch(req.get('If-Match'));
    if (Number.isNaN(expected)) return outcome(res, 400, 'invalid', 'If-Match must look like W/"n"');
    const current = select.get(type, id);
    if (current && expected !== undefined && expected !== current.version) {
      return outcome(res, 412, 'conflict', `version is ${current.version}, not ${expected}`);
    }
    const version = current ? current.version + 1 : 1;
    const now = new Date().toISOString();
    const meta = { ...(req.body.meta as object | undefined), versionId: String(version), lastUpdated: now };
    const text = JSON.stringify({ ...req.body, meta });
    if (current) {
      // Compare-and-set on the version, the same guarantee Vesta's store gives.
      if (update.run(version, now, text, type, id, current.version).changes === 0) {
        return outcome(res, 412, 'conflict', 'concurrent update');
      }
    } else {
      insert.run(type, id, version, now, text);
    }
    res
      .status(current ? 200 : 201)
      .set({ ETag: `W/"${version}"`, 'Last-Modified': new Date(now).toUTCString() })
      .type(FHIR_JSON)
      .send(text);
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return outcome(res, status, 'invalid', 'bad request');
    console.error(err);
    outcome(res, 500, 'exception', 'internal error');
  });

  // The same Express server construction as Vesta's (src/http/node-server.ts), so the ceiling is not held back
  // by Express's per-request prototype change while Vesta is not.
  const { server, adopt } = createNodeServer(app);
  adopt(app);
  server.listen(port, host, () => {
    console.error(`ceiling listening on ${base}`);
  });
  const stop = (): void => {
    server.close(() => {
      db.close();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
