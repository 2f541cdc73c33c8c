import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startAuthzServer, tokenRequest } from '../support/authz.js';
import type { AuthzServer } from '../support/authz.js';

/** Abuse resistance (issue 12 item 9): the token, introspection and login endpoints are rate limited per address. */

let srv: AuthzServer;

before(async () => {
  srv = await startAuthzServer({ VESTA_AUTH_RATE_LIMIT: '3' });
});
after(async () => {
  await srv.close();
});

test('past the configured requests per minute, the token endpoint answers 429 with Retry-After', async () => {
  const seen: { status: number; retryAfter: string | null }[] = [];
  // Seven requests with a limit of three: however a minute boundary splits them, one window gets four or more.
  for (let i = 0; i < 7; i++) {
    const res = await tokenRequest(srv, { grant_type: 'client_credentials', client_id: 'nobody' });
    seen.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
  }
  const statuses = seen.map((s) => s.status).join(',');
  assert.ok(seen.slice(0, 3).every((s) => s.status === 401), statuses);
  const limited = seen.filter((s) => s.status === 429);
  assert.ok(limited.length >= 1, statuses);
  assert.ok(limited.every((s) => Number(s.retryAfter) > 0));
  assert.ok(seen.every((s) => s.status === 401 || s.status === 429), statuses);
});
