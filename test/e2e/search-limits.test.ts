import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';

const values = (n: number, prefix = 'v') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('searches of any shape answer 2xx or 4xx', () => {
  let srv: TestServer;
  let wide: TestServer;
  before(async () => {
    srv = await startTestServer();
    // A server that accepts huge searches: the compiler must still produce SQL SQLite accepts.
    wide = await startTestServer({ env: { VESTA_SEARCH_MAX_VALUES: '5000' } });
    for (const s of [srv, wide]) {
      const p = await fhir('POST', `${s.base}/Patient`, { body: { resourceType: 'Patient', name: [{ family: 'v7' }], gender: 'male' } });
      assert.equal(p.status, 201);
      const o = await fhir('POST', `${s.base}/Observation`, { body: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${p.body.id}` } } });
      assert.equal(o.status, 201);
    }
  });
  after(async () => {
    await srv.close();
    await wide.close();
  });

  test('495 OR values on one parameter are 400 too-costly naming the limit', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient?name=${values(495).join(',')}`), {
      status: 400, code: 'too-costly', diagnostics: 'VESTA_SEARCH_MAX_VALUES',
    });
  });

  test('1,000 AND parameters are 400 too-costly naming the limit', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient?${values(1000).map((v) => `name=${v}`).join('&')}`), {
      status: 400, code: 'too-costly', diagnostics: 'VESTA_SEARCH_MAX_VALUES',
    });
  });

  test('POST _search is held to the same limit', async () => {
    const body = values(1000).map((v) => `name=${v}`).join('&');
    assertOutcome(await fhir('POST', `${srv.base}/Patient/_search`, { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), {
      status: 400, code: 'too-costly', diagnostics: 'VESTA_SEARCH_MAX_VALUES',
    });
  });

  test('within a raised limit, 2,000 OR values compile to SQL SQLite accepts', async () => {
    const res = await fhir('GET', `${wide.base}/Patient?name=${values(2000).join(',')}`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.body.entry.length, 1);
  });

  test('within a raised limit, 1,000 AND parameters and 1,000 :not values answer 200', async () => {
    const and = await fhir('GET', `${wide.base}/Patient?${values(1000, 'v7').map((v) => `name=${v.slice(0, 2)}`).join('&')}`);
    assert.equal(and.status, 200, and.text.slice(0, 300));
    assert.equal(and.body.entry.length, 1);
    const not = await fhir('GET', `${wide.base}/Patient?gender:not=${values(1000).join(',')}`);
    assert.equal(not.status, 200, not.text.slice(0, 300));
    assert.equal(not.body.entry.length, 1);
  });

  test('_revinclude:iterate with _count=100 answers 200', async () => {
    const res = await fhir('GET', `${srv.base}/Patient?_revinclude:iterate=Observation:subject&_revinclude:iterate=Observation:has-member&_count=100`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.body.entry.length, 2);
  });
});
