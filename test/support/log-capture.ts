import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from 'winston';
import { createLogger } from '../../src/logging/logger.js';

/** A production-format logger (same redaction and JSON format) whose output is kept in memory. */
export interface CapturedLog {
  log: Logger;
  /** Every line written so far, as raw text. */
  lines: string[];
  /** The lines parsed as JSON records. */
  records(): Record<string, unknown>[];
}

/** Builds the app's real logger at `level` and swaps its console transport for an in-memory one. */
export function captureLog(level = 'info'): CapturedLog {
  const lines: string[] = [];
  const log = createLogger(level);
  log.clear();
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(line);
      done();
    },
  });
  log.add(new winston.transports.Stream({ stream: sink }));
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
