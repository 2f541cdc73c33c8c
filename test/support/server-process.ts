import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The compiled server entry, as started in production. */
export const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** A Vesta server running as a child process, as `node dist/src/main.js` runs in production. */
export interface ServerProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** FHIR base, e.g. http://127.0.0.1:41234/fhir */
  base: string;
  /** Server root, e.g. http://127.0.0.1:41234 */
  root: string;
  port: number;
  /** Everything written to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code and signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A port that was free a moment ago; the server is given a real port because links are built from PORT. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * Starts `node dist/src/main.js` on a free port with `dataDir`, waits for the ready line on stdout and for
 * `GET /readyz` to answer 200. Kills the child and throws if it is not ready within `timeoutMs`.
 */
export async function startServerProcess(
  dataDir: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000,
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS], {
    // Authorization is off unless a test turns it on: these tests are about the process, not about tokens.
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', VESTA_DATA_DIR: dataDir, LOG_LEVEL: 'warn', VESTA_AUTH: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const root = `http://127.0.0.1:${port}`;
  const proc: ServerProcess = { child, base: `${root}/fhir`, root, port, output: () => out, exited };
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void exited.then(() => (ended = true));
  while (!ended && Date.now() < deadline) {
    if (out.includes(`Vesta FHIR R4 server ready at ${proc.base}`)) {
      try {
        const res = await fetch(`${root}/readyz`);
        await res.arrayBuffer();
        if (res.status === 200) return proc;
      } catch {
        // not accepting yet
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!ended) child.kill('SIGKILL');
  await exited;
  throw new Error(`the server did not become ready on port ${port}; output:\n${out}`);
}

/** Sends SIGTERM and waits for the exit, killing the process if it takes longer than `timeoutMs`. */
export async function stopServerProcess(proc: ServerProcess, timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.exited;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}
