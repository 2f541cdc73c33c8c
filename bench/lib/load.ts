import autocannon from 'autocannon';
import { cpuTimeMs } from './cpu-time.js';
import type { ServerHandle } from './server-process.js';

/** What one autocannon run measured. */
export interface LoadResult {
  title: string;
  /** Mean of the per-second request counts. */
  requestsPerSec: number;
  /** Percentiles of the client-measured response times (fractions of a millisecond, nearest rank). */
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  /** Completed responses, 2xx or not. */
  completed: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Response count per status code. */
  statusCodes: Record<string, number>;
  /** The server's CPU time per completed response, in microseconds (Linux only: see cpu-time.ts). */
  cpuUsPerRequest?: number;
}

/** Options for {@link runLoad}. */
export interface LoadOptions {
  title: string;
  durationSec: number;
  connections: number;
}

/** Runs one autocannon load against `server` and resolves with its summary; never hangs past duration + 30 s. */
export function runLoad(server: ServerHandle, requests: autocannon.Request[], opts: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let guard: NodeJS.Timeout | undefined;
    const times: number[] = [];
    const cpuBefore = cpuTimeMs(server.pid);
    const instance = autocannon(
      { url: server.origin, connections: opts.connections, duration: opts.durationSec, timeout: 10, requests, title: opts.title },
      (err, result) => {
        clearTimeout(guard);
        if (err) return reject(err);
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count;
        // autocannon's own percentiles are whole milliseconds; the recorded response times are not.
        times.sort((a, b) => a - b);
        const cpuAfter = cpuTimeMs(server.pid);
        const total = result.requests.total;
        const pct = (p: number, whole: number): number =>
          times.length === 0 ? whole : Math.round(times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]! * 100) / 100;
        resolve({
          title: opts.title,
          requestsPerSec: result.requests.average,
          latencyP50Ms: pct(50, result.latency.p50),
          latencyP99Ms: pct(99, result.latency.p99),
          latencyMeanMs: result.latency.average,
          completed: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          ...(cpuBefore !== undefined && cpuAfter !== undefined && total > 0 ? { cpuUsPerRequest: ((cpuAfter - cpuBefore) * 1000) / total } : {}),
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      times.push(responseTime);
    });
    guard = setTimeout(() => instance.stop(), (opts.durationSec + 30) * 1000);
  });
}

/** Runs an unmeasured warm-up (if `warmupSec` > 0) and then the measured load. */
export async function warmAndRun(
  server: ServerHandle,
  makeRequests: () => autocannon.Request[],
  opts: LoadOptions & { warmupSec: number },
): Promise<LoadResult> {
  if (opts.warmupSec > 0) {
    const warm = await runLoad(server, makeRequests(), { ...opts, title: `${opts.title} (warm-up)`, durationSec: opts.warmupSec });
    if (warm.non2xx > 0) console.error(`  warm-up ${opts.title}: ${warm.non2xx} non-2xx ${JSON.stringify(warm.statusCodes)}`);
  }
  return runLoad(server, makeRequests(), opts);
}

/** The run with the median throughput, so one noisy round does not decide a ratio. */
export function medianRun(results: readonly LoadResult[]): LoadResult | undefined {
  const sorted = [...results].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
