import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

/** How to launch one server under test as a child process. */
export interface ServerSpec {
  /** Short label used in tables and logs ("ceiling", "vesta"). */
  name: string;
  /** Absolute path of the compiled entry script, run with this Node binary. */
  script: string;
  /** Environment for the child, given the chosen port, host and a fresh empty data directory. */
  env(port: number, host: string, dataDir: string): Record<string, string>;
  /** Headers every benchmark request to this server must carry (e.g. Authorization). */
  headers?: Record<string, string>;
}

/** A running server; `stop()` ends it and removes its data directory. */
export interface ServerHandle {
  name: string;
  /** `http://127.0.0.1:PORT`, what autocannon needs. */
  origin: string;
  /** `http://127.0.0.1:PORT/fhir`. */
  fhirBase: string;
  dataDir: string;
  headers: Record<string, string>;
  pid: number | undefined;
  /** False once the child has exited, e.g. after a crash under load. */
  alive(): boolean;
  /** The last lines the child wrote, for diagnosing a crash. */
  outputTail(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A crashing harness must not leave servers behind holding ports and temp dirs.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function waitReady(origin: string, child: ChildProcess, tail: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`server exited (code ${child.exitCode}, signal ${child.signalCode}) before ready:\n${tail()}`);
    try {
      const res = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet; keep polling until the deadline.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${tail()}`);
}

/** Starts `spec` on a free port with a fresh temp data dir and resolves once `/readyz` answers 200. */
export async function startServer(spec: ServerSpec, readyTimeoutMs = 60_000): Promise<ServerHandle> {
  const host = '127.0.0.1';
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `vesta-bench-${spec.name}-`));
  const port = await freePort(host);
  const child = spawn(process.execPath, [spec.script], {
    env: { ...process.env, ...spec.env(port, host, dataDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const tail = (): string => lines.join('\n');
  const origin = `http://${host}:${port}`;

  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 10_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitReady(origin, child, tail, readyTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: spec.name,
    origin,
    fhirBase: `${origin}/fhir`,
    dataDir,
    headers: spec.headers ?? {},
    pid: child.pid,
    alive: () => !exited(child),
    outputTail: tail,
    stop,
  };
}

/** Runs `work` against a freshly started server and always stops it (and removes its data) afterwards. */
export async function withServer<T>(spec: ServerSpec, work: (server: ServerHandle) => Promise<T>): Promise<T> {
  const server = await startServer(spec);
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}
