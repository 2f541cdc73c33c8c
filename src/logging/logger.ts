import winston from 'winston';

/**
 * Keys whose values may carry PHI or secrets. Log calls should never pass such data, but a mistake must
 * not leak it: these fields are replaced by "[redacted]" wherever they appear in a log record.
 */
const SENSITIVE = new Set([
  'name', 'given', 'family', 'birthdate', 'birthDate', 'address', 'telecom', 'identifier', 'text', 'body',
  'resource', 'query', 'authorization', 'cookie', 'token', 'access_token', 'password', 'value', 'diagnostics',
]);

function scrub(v: unknown, depth: number): unknown {
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => scrub(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = SENSITIVE.has(k) ? '[redacted]' : scrub(x, depth + 1);
  }
  return out;
}

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SENSITIVE.has(key)) (info as Record<string, unknown>)[key] = '[redacted]';
    else if (typeof info[key] === 'object') (info as Record<string, unknown>)[key] = scrub(info[key], 0);
  }
  return info;
});

/**
 * Creates the JSON logger; PHI-looking fields are redacted before anything is written. Lines go to the console
 * unless another transport is given (tests capture them to scan for PHI).
 */
export function createLogger(level: string, silent = false, transport?: winston.transport): winston.Logger {
  return winston.createLogger({
    level,
    silent,
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: 'vesta' },
    transports: [transport ?? new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}
