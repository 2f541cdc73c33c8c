import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';

describe('every limit is a setting and its refusal names it', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ env: { VESTA_MAX_BODY: '2kb', VESTA_MAX_BUNDLE_ENTRIES: '2', VESTA_MAX_CHAIN_DEPTH: '1', VESTA_MAX_COUNT: '5' } });
  });
  after(async () => {
    await srv.close();
  });

  test('a body over VESTA_MAX_BODY is 413 naming it', async () => {
    assertOutcome(await fhir('POST', `${srv.base}/Patient`, { body: { resourceType: 'Patient', text: { status: 'generated', div: 'x'.repeat(4000) } } }), {
      status: 413, code: 'too-long', diagnostics: 'VESTA_MAX_BODY',
    });
  });

  test('a Bundle over VESTA_MAX_BUNDLE_ENTRIES is 413 naming it', async () => {
    const entry = { request: { method: 'GET', url: 'Patient' } };
    assertOutcome(await fhir('POST', srv.base, { body: { resourceType: 'Bundle', type: 'batch', entry: [entry, entry, entry] } }), {
      status: 413, diagnostics: 'VESTA_MAX_BUNDLE_ENTRIES', code: 'too-long',
    });
  });

  test('a chain deeper than VESTA_MAX_CHAIN_DEPTH is 400 naming it', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Observation?subject:Patient.organization.name=x`), {
      status: 400, code: 'not-supported', diagnostics: 'VESTA_MAX_CHAIN_DEPTH',
    });
    assert.equal((await fhir('GET', `${srv.base}/Observation?subject:Patient.name=x`)).status, 200);
  });

  test('a _count over VESTA_MAX_COUNT is lowered and the self link says so', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?_count=50`);
    assert.equal(res.status, 200);
    assert.match(res.body.link.find((l: { relation: string }) => l.relation === 'self').url, /_count=5(&|$)/);
  });

  test('a URL over VESTA_MAX_HEADER_SIZE is 431 with an OperationOutcome', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient?name=${'x'.repeat(20_000)}`), {
      status: 431, code: 'too-costly', diagnostics: 'VESTA_MAX_HEADER_SIZE',
    });
  });
});
