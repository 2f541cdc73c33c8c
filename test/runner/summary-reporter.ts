/**
 * A node:test reporter (`--test-reporter=<this file>`) that writes one JSON line at the end of a run: node's own
 * counts (the summary it prints: tests, pass, fail, skipped...) and every skip reason with how often it occurred,
 * so the runner (run-tests.ts) can print the skips by capability per store without parsing human-readable output.
 */

interface TestEvent {
  type: string;
  data: { nesting?: number; message?: string; skip?: string | boolean; name?: string; details?: { type?: string } };
}

/** The JSON line this reporter writes. */
export interface RunSummary {
  counts: Record<string, number>;
  /**
   * Skip reason (or "(no reason given)") → number of skipped tests and of skipped suites (a `describe` skipped whole,
   * which node does not count among its skipped tests) with that reason.
   */
  skips: Record<string, { tests: number; suites: number }>;
}

const COUNT = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/;

export default async function* summaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const summary: RunSummary = { counts: {}, skips: {} };
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:pass' && data.skip !== undefined && data.skip !== false) {
      const reason = typeof data.skip === 'string' && data.skip !== '' ? data.skip : '(no reason given)';
      const entry = (summary.skips[reason] ??= { tests: 0, suites: 0 });
      if (data.details?.type === 'suite') entry.suites++;
      else entry.tests++;
    } else if (type === 'test:diagnostic' && data.nesting === 0 && typeof data.message === 'string') {
      // node prints its run totals as top-level diagnostics once every file has finished.
      const m = COUNT.exec(data.message);
      if (m) summary.counts[m[1]!] = Number(m[2]);
    }
  }
  yield `${JSON.stringify(summary)}\n`;
}
