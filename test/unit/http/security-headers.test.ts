/**
 * The precomputed security headers (src/http/security-headers.ts) are exactly what helmet itself sets on a real
 * response under the same policy, so computing them once changes nothing a client sees.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import helmet from 'helmet';
import { HELMET_POLICY, securityHeaders } from '../../../src/http/security-headers.js';

/** The response headers (lower-case name → value) a real server running helmet(policy) sends. */
async function helmetOnTheWire(): Promise<Map<string, string>> {
  const middleware = helmet(HELMET_POLICY);
  const server = http.createServer((req, res) => middleware(req, res, () => res.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await res.arrayBuffer();
    const out = new Map<string, string>();
    for (const [k, v] of res.headers) if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k)) out.set(k, v);
    return out;
  } finally {
    server.close();
  }
}

describe('security headers', () => {
  test('are the headers helmet sets, with the same values', async () => {
    const flat = securityHeaders();
    assert.equal(flat.length % 2, 0);
    const ours = new Map<string, string>();
    for (let i = 0; i < flat.length; i += 2) ours.set(flat[i]!.toLowerCase(), flat[i + 1]!);
    assert.deepEqual(ours, await helmetOnTheWire());
    assert.equal(ours.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'");
    assert.equal(ours.get('x-content-type-options'), 'nosniff');
    assert.ok(!ours.has('x-powered-by'));
  });

  test('refuse a policy helmet rejects', () => {
    assert.throws(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ['not a source; evil'] } } }));
  });
});
