import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from 'winston';
import { createLogger } from '../../src/logging/logger.js';

/**
 * The log scan (issue 13, item 7): every test server logs at debug into memory, every request a test sends notes
 * the PHI and secrets it carries (names, identifiers, birth dates, addresses, telecom, free text, search values,
 * bearer tokens, passwords), and when the server closes not one of them may appear in any log line.
 */

/** Body keys whose string values are PHI or secrets in the fixtures. */
const PHI_KEYS = new Set([
  'family', 'given', 'birthDate', 'line', 'city', 'postalCode', 'telecom', 'div', 'password', 'client_secret',
  'secret', 'access_token', 'refresh_token', 'id_token',
]);
/** Form fields (OAuth requests) whose values are secrets: codes, verifiers, assertions, tokens. */
const FORM_SECRETS = new Set(['code', 'code_verifier', 'client_assertion', 'token', 'csrf', 'username']);
/** Search parameters whose values are PHI. */
const PHI_PARAMS = new Set(['name', 'family', 'given', 'birthdate', 'identifier', 'address', 'address-city', 'phone', 'email', 'telecom']);
/** Shorter values are too common to mean anything (a one-letter given name, "ok"). */
const MIN_LENGTH = 5;

const sensitive = new Set<string>();

function note(value: unknown): void {
  if (typeof value === 'string' && value.length >= MIN_LENGTH) sensitive.add(value);
}

function walk(v: unknown, key: string | undefined, depth: number): void {
  if (depth > 30 || v === null || v === undefined) return;
  if (Array.isArray(v)) {
    for (const x of v) walk(x, key, depth + 1);
  } else if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // AuditEvents name client ids and users, which the access log names too by design.
    if (o.resourceType === 'AuditEvent') return;
    // Identifier values and telecom values (an identifier is `{system, value}`; telecom `{system, value}`).
    if (key === 'identifier' || key === 'telecom') note(o.value);
    for (const [k, x] of Object.entries(o)) walk(x, k, depth + 1);
  } else if (key !== undefined && PHI_KEYS.has(key)) {
    note(v);
  }
}

/** Notes the PHI and secrets of one request a test sends (its body, its search values, its bearer token). */
export function noteRequest(url: string, headers: Record<string, string>, body: unknown): void {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'authorization') note(v.replace(/^(Bearer|Basic)\s+/i, ''));
  }
  try {
    for (const [k, v] of new URL(url).searchParams) if (PHI_PARAMS.has(k.split(':')[0]!)) for (const part of v.split(',')) note(part.split('|').pop());
  } catch {
    // not a URL a test built: nothing to note
  }
  if (typeof body === 'string') {
    try {
      walk(JSON.parse(body), undefined, 0);
    } catch {
      // form bodies: key=value pairs
      for (const [k, v] of new URLSearchParams(body)) if (PHI_KEYS.has(k) || FORM_SECRETS.has(k)) note(v);
    }
  } else {
    walk(body, undefined, 0);
  }
}

const WORD = /[A-Za-z0-9]/;

/** `s` in `line` as a whole word: a five-digit postal code inside a random request id is no leak. */
function occurs(line: string, s: string): boolean {
  for (let at = line.indexOf(s); at >= 0; at = line.indexOf(s, at + 1)) {
    const before = line[at - 1];
    const after = line[at + s.length];
    if ((before === undefined || !WORD.test(before) || !WORD.test(s[0]!)) && (after === undefined || !WORD.test(after) || !WORD.test(s[s.length - 1]!))) return true;
  }
  return false;
}

/** A debug logger keeping its lines in memory, and the check to run when the server closes. */
export function capturingLogger(): { log: Logger; assertClean(): void } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger('debug', false, new winston.transports.Stream({ stream: sink }));
  return {
    log,
    assertClean() {
      const leaks: string[] = [];
      for (const line of lines) for (const s of sensitive) if (occurs(line, s)) leaks.push(`${JSON.stringify(s)} in ${line.slice(0, 300)}`);
      assert.deepEqual(leaks, [], `${leaks.length} log lines carry PHI or secrets from the test's requests`);
    },
  };
}
