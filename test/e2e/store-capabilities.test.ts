import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { TestServer } from '../support/test-app.js';
import { assertOutcome } from '../support/outcome-assert.js';
import type { ResourceStore, StoreCapabilities } from '../../src/store/port.js';
import type { TestStore } from '../support/test-app.js';

/**
 * Stores declare what they can do and the core consults it up front (DESIGN principle 3): a store without
 * transactions, `_has`, composites, string sorting, accurate totals or deep chains gets no such request, the
 * client gets a clear OperationOutcome, and the CapabilityStatement does not claim them.
 */

const LIMITED: StoreCapabilities = {
  name: 'limited', transactions: false, maxChainDepth: 1, reverseChains: false, composite: false, accurateTotals: false,
  sortTypes: ['date'],
};

/** The SQLite store behind fewer declared capabilities, counting the searches that reach it. */
function limited(inner: TestStore): ResourceStore & { searches: number } {
  const store = {
    searches: 0,
    capabilities: LIMITED,
    write: inner.write.bind(inner),
    read: inner.read.bind(inner),
    vread: inner.vread.bind(inner),
    history: inner.history.bind(inner),
    search: (q: Parameters<ResourceStore['search']>[0]) => {
      store.searches++;
      return inner.search(q);
    },
    transaction: inner.transaction.bind(inner),
    serialized: inner.serialized.bind(inner),
    sync: inner.sync.bind(inner),
    ping: inner.ping.bind(inner),
    close: async () => undefined,
  };
  return store;
}

let srv: TestServer;
let store: ReturnType<typeof limited>;
before(async () => {
  srv = await startTestServer({ wrapStore: (inner) => (store = limited(inner)) });
});
after(async () => {
  await srv.close();
});

describe('a store without some search features', () => {
  const refused: [string, string][] = [
    ['_has', 'Patient?_has:Observation:subject:code=1234-5'],
    ['a chain deeper than the store follows', 'Observation?subject:Patient.general-practitioner.name=x'],
    ['a composite parameter', 'Observation?code-value-quantity=http://loinc.org|8480-6$gt100'],
    ['sorting by a string parameter', 'Patient?_sort=family'],
    ['_total=accurate', 'Patient?_total=accurate'],
  ];
  for (const [what, url] of refused) {
    test(`refuses ${what} with 400 not-supported before the store is searched`, async () => {
      const before = store.searches;
      const res = await fhir('GET', `${srv.base}/${url}`);
      assertOutcome(res, { status: 400, code: 'not-supported' });
      assert.equal(store.searches, before);
    });
  }

  test('still answers what it supports, without a total it cannot count', async () => {
    const res = await fhir('GET', `${srv.base}/Observation?subject:Patient.name=x&_sort=-date`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.total, undefined);
  });
});

describe('a store without transactions', () => {
  test('refuses a transaction Bundle with 501 and applies nothing', async () => {
    const res = await fhir('POST', srv.base, {
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', gender: 'other' }, request: { method: 'POST', url: 'Patient' } }] },
    });
    assertOutcome(res, { status: 501, code: 'not-supported', diagnostics: 'send a batch instead' });
    assert.equal((await srv.store.history({ resourceType: 'Patient' }, { count: 5 })).items.length, 0);
  });

  test('still runs a batch', async () => {
    const res = await fhir('POST', srv.base, {
      body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { resourceType: 'Patient', gender: 'other' }, request: { method: 'POST', url: 'Patient' } }] },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.entry[0].response.status, '201 Created');
  });
});

describe('the CapabilityStatement of a limited store', () => {
  test('claims neither transactions nor composite parameters, and says how far chains go', async () => {
    const cs = (await fhir('GET', `${srv.base}/metadata`)).body;
    const rest = cs.rest[0];
    const system = (rest.interaction as { code: string }[]).map((i) => i.code);
    assert.ok(system.includes('batch'));
    assert.ok(!system.includes('transaction'));
    const obs = (rest.resource as { type: string; searchParam?: { name: string; type: string; documentation?: string }[] }[]).find((r) => r.type === 'Observation')!;
    assert.ok(!obs.searchParam!.some((p) => p.type === 'composite'));
    const subject = obs.searchParam!.find((p) => p.name === 'subject')!;
    assert.match(subject.documentation ?? '', /Chaining is supported, up to 1 link\./);
  });
});
