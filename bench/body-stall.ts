/**
 * How long a large valid body holds the server's event loop (issue 10 item 6): `node dist/bench/body-stall.js`.
 * Starts a server as a child process, then for each body POSTs it while another connection asks `GET /healthz`
 * every 5 ms; the longest `/healthz` wait is the longest stretch the event loop was held. `BODY_STALL_SERVER`
 * names another build's `dist/src/main.js` (to compare before and after); `BODY_STALL_CASES` picks cases by name
 * (comma-separated); `BODY_STALL_ROUNDS` repeats each case (default 2, one row each: the first round of a type
 * also pays for compiling its schema).
 */
import http from 'node:http';
import path from 'node:path';
import { patientRecord } from '../src/sample/patient-record.js';
import { startServer } from './lib/server-process.js';
import { PROCESS_ENV, repoRoot } from './lib/targets.js';

/** One body to send. */
interface Case {
  name: string;
  path: string;
  body: () => string;
}

const MB = 1024 * 1024;

/** An Observation with `n` components, each with a LOINC code and a quantity (about 190 bytes each). */
function observation(n: number, value: (i: number) => string = (i) => String(i % 200)): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(`{"code":{"coding":[{"system":"http://loinc.org","code":"${8000 + (i % 900)}-${i % 10}"}]},`
      + `"valueQuantity":{"value":${value(i)},"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}`);
  }
  return `{"resourceType":"Observation","status":"final","code":{"text":"big"},"subject":{"reference":"Patient/p1"},`
    + `"effectiveDateTime":"2024-01-02T03:04:05Z","component":[${parts.join(',')}]}`;
}

/** Base64 text of about `bytes` bytes. */
function base64(bytes: number): string {
  const block = Buffer.alloc(3 * 1024, 0x5a).toString('base64');
  return block.repeat(Math.ceil(bytes / block.length)).slice(0, Math.floor(bytes / 4) * 4);
}

/** A transaction or batch Bundle of sample patient records (PUT entries, about 1 KB each). */
function bundle(type: 'transaction' | 'batch', entries: number, ns: string): string {
  const out: string[] = [];
  for (let i = 0; out.length < entries; i++) {
    for (const r of patientRecord(20250301, i, ns)) {
      if (out.length >= entries) break;
      out.push(JSON.stringify({ fullUrl: `urn:uuid:${r.resourceType}-${r.id!}`, resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id!}` } }));
    }
  }
  return `{"resourceType":"Bundle","type":"${type}","entry":[${out.join(',')}]}`;
}

const CASES: Case[] = [
  { name: 'observation-4mb', path: '/Observation', body: () => observation(22_000) },
  { name: 'observation-14mb', path: '/Observation', body: () => observation(78_000) },
  { name: 'observation-exact-8mb', path: '/Observation', body: () => observation(44_000, (i) => `${i % 200}.0`) },
  { name: 'binary-15mb', path: '/Binary', body: () => `{"resourceType":"Binary","contentType":"application/pdf","data":"${base64(15 * MB)}"}` },
  {
    name: 'documentreference-15mb', path: '/DocumentReference',
    body: () => `{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"application/pdf","data":"${base64(15 * MB)}"}}]}`,
  },
  { name: 'transaction-2000', path: '', body: () => bundle('transaction', 2000, 'a') },
  { name: 'transaction-8000', path: '', body: () => bundle('transaction', 8000, 'b') },
  { name: 'batch-8000', path: '', body: () => bundle('batch', 8000, 'c') },
];

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(url: string, method: string, body?: string, a: http.Agent = agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/fhir+json', 'Content-Length': String(Buffer.byteLength(body)) };
    const req = http.request(url, { method, headers, agent: a }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls `/healthz` every `everyMs` until `stop` resolves; the longest wait and how many polls. */
async function poll(origin: string, stop: Promise<unknown>, everyMs = 5): Promise<{ maxMs: number; polls: number }> {
  let done = false;
  void stop.finally(() => (done = true));
  let maxMs = 0;
  let polls = 0;
  while (!done) {
    const t = performance.now();
    await request(`${origin}/healthz`, 'GET');
    maxMs = Math.max(maxMs, performance.now() - t);
    polls++;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return { maxMs, polls };
}

const script = process.env.BODY_STALL_SERVER ? path.resolve(process.env.BODY_STALL_SERVER) : path.join(repoRoot, 'dist/src/main.js');
const picked = process.env.BODY_STALL_CASES?.split(',').map((s) => s.trim()).filter(Boolean);
const rounds = Number(process.env.BODY_STALL_ROUNDS ?? 2);
const server = await startServer({
  name: 'body-stall', script,
  env: (port, host, dataDir) => ({ ...PROCESS_ENV, PORT: String(port), HOST: host, VESTA_DATA_DIR: dataDir, LOG_LEVEL: 'warn', VESTA_AUTH: 'off' }),
});
const postAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const rows: Record<string, unknown>[] = [];
try {
  for (const c of CASES.filter((x) => !picked || picked.includes(x.name))) {
    const body = c.body();
    for (let round = 0; round < rounds; round++) {
      const t = performance.now();
      const post = request(`${server.fhirBase}${c.path}`, 'POST', body, postAgent);
      const { maxMs, polls } = await poll(server.origin, post);
      const res = await post;
      rows.push({
        case: c.name, round, mb: Number((Buffer.byteLength(body) / MB).toFixed(1)), status: res.status,
        postMs: Math.round(performance.now() - t), healthzMaxMs: Math.round(maxMs), polls,
      });
      if (res.status >= 300) console.error(res.text.slice(0, 500));
    }
  }
} finally {
  await server.stop();
}
console.table(rows);
