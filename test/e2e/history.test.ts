import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fhir, startTestServer } from '../support/test-app.js';
import type { FhirResponse, TestServer } from '../support/test-app.js';
import { ManualClock, sample } from '../support/e2e-resources.js';
import { assertOutcome } from '../support/outcome-assert.js';

interface Entry {
  fullUrl: string;
  resource?: { id: string; meta: { versionId: string } };
  request: { method: string; url: string };
  response: { etag: string; lastModified: string };
}

let srv: TestServer;
const clock = new ManualClock();
let a = '';
let b = '';
let o = '';

/** `Type/id/vN` labels of a history page, in order. */
const labels = (res: FhirResponse): string[] =>
  ((res.body.entry ?? []) as Entry[]).map((e) => `${e.fullUrl.slice(srv.base.length + 1)}/v${e.response.etag.replace(/\D/g, '')}`);

const link = (res: FhirResponse, relation: string): string | undefined =>
  (res.body.link as { relation: string; url: string }[] | undefined)?.find((l) => l.relation === relation)?.url;

/** Follows `next` links from `url` to the end; returns every page. */
async function allPages(url: string): Promise<FhirResponse[]> {
  const pages: FhirResponse[] = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    const res = await fhir('GET', next);
    assert.equal(res.status, 200, res.text);
    pages.push(res);
    next = link(res, 'next');
    assert.ok(pages.length < 20, 'paging terminates');
  }
  return pages;
}

// Timeline: A created 10:00, O created 11:00, A updated 12:00, B created 13:00, A deleted 14:00.
before(async () => {
  srv = await startTestServer({ clock: clock.now });
  clock.set('2024-03-01T10:00:00.000Z');
  a = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') })).body.id;
  clock.set('2024-03-01T11:00:00.000Z');
  o = (await fhir('POST', `${srv.base}/Observation`, { body: sample('Observation') })).body.id;
  clock.set('2024-03-01T12:00:00.000Z');
  assert.equal((await fhir('PUT', `${srv.base}/Patient/${a}`, { body: sample('Patient', { id: a, active: true }) })).status, 200);
  clock.set('2024-03-01T13:00:00.000Z');
  b = (await fhir('POST', `${srv.base}/Patient`, { body: sample('Patient') })).body.id;
  clock.set('2024-03-01T14:00:00.000Z');
  assert.equal((await fhir('DELETE', `${srv.base}/Patient/${a}`)).status, 200);
  clock.set('2024-03-01T15:00:00.000Z');
});
after(async () => {
  await srv.close();
});

describe('history at instance, type and system level', () => {
  test('instance history lists every version newest first, the deletion included', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${a}/_history`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
    assert.equal(res.body.resourceType, 'Bundle');
    assert.equal(res.body.type, 'history');
    assert.deepEqual(labels(res), [`Patient/${a}/v3`, `Patient/${a}/v2`, `Patient/${a}/v1`]);
    const entries = res.body.entry as Entry[];
    assert.deepEqual(entries.map((e) => e.request.method), ['DELETE', 'PUT', 'POST']);
    assert.equal(entries[0].resource, undefined);
    assert.equal(entries[1].resource?.meta.versionId, '2');
    assert.equal(entries[0].response.lastModified, '2024-03-01T14:00:00.000Z');
    assert.equal(res.body.total, 3);
  });

  test('type history lists only that type, newest first', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/_history`);
    assert.equal(res.status, 200);
    assert.equal(res.body.type, 'history');
    assert.deepEqual(labels(res), [`Patient/${a}/v3`, `Patient/${b}/v1`, `Patient/${a}/v2`, `Patient/${a}/v1`]);
  });

  test('system history lists every type, newest first', async () => {
    const res = await fhir('GET', `${srv.base}/_history`);
    assert.equal(res.status, 200);
    assert.equal(res.body.type, 'history');
    assert.deepEqual(labels(res), [
      `Patient/${a}/v3`, `Patient/${b}/v1`, `Patient/${a}/v2`, `Observation/${o}/v1`, `Patient/${a}/v1`,
    ]);
  });

  test('type history of a type with no versions is an empty history Bundle', async () => {
    const res = await fhir('GET', `${srv.base}/Substance/_history`);
    assert.equal(res.status, 200);
    assert.equal(res.body.type, 'history');
    assert.deepEqual(res.body.entry ?? [], []);
  });

  test('instance history of an unknown resource is 404', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient/nobody/_history`), { status: 404, code: 'not-found', diagnostics: 'Patient/nobody' });
  });
});

describe('_since and _at', () => {
  test('_since keeps versions written at or after the instant', async () => {
    const res = await fhir('GET', `${srv.base}/_history?_since=2024-03-01T12:00:00Z`);
    assert.equal(res.status, 200);
    assert.deepEqual(labels(res), [`Patient/${a}/v3`, `Patient/${b}/v1`, `Patient/${a}/v2`]);
  });

  test('_since on instance history filters that resource only', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/${a}/_history?_since=2024-03-01T11:30:00Z`);
    assert.deepEqual(labels(res), [`Patient/${a}/v3`, `Patient/${a}/v2`]);
  });

  test('_since with a time zone offset is honoured', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/_history?_since=${encodeURIComponent('2024-03-01T13:30:00+01:00')}`);
    assert.deepEqual(labels(res), [`Patient/${a}/v3`, `Patient/${b}/v1`]);
  });

  test('_at lists the version of each resource that was current at the instant', async () => {
    const res = await fhir('GET', `${srv.base}/Patient/_history?_at=2024-03-01T12:30:00Z`);
    assert.equal(res.status, 200);
    assert.deepEqual(labels(res), [`Patient/${a}/v2`]);
    const later = await fhir('GET', `${srv.base}/_history?_at=2024-03-01T13:30:00Z`);
    assert.deepEqual(labels(later), [`Patient/${b}/v1`, `Patient/${a}/v2`, `Observation/${o}/v1`]);
  });

  test('a malformed _since is 400 naming the parameter', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/_history?_since=yesterday`), {
      status: 400, code: 'invalid', diagnostics: '_since', expression: '_since',
    });
  });

  test('a malformed _at is 400 naming the parameter', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/Patient/_history?_at=2024-13-45T99:00:00Z`), {
      status: 400, code: 'invalid', diagnostics: '_at', expression: '_at',
    });
  });

  test('a malformed _count is 400 naming the parameter', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/_history?_count=many`), {
      status: 400, code: 'invalid', diagnostics: '_count', expression: '_count',
    });
  });
});

describe('history paging', () => {
  test('_count limits the page and next links lead through every version exactly once, newest first', async () => {
    const pages = await allPages(`${srv.base}/_history?_count=2`);
    assert.deepEqual(pages.map((p) => labels(p).length), [2, 2, 1]);
    assert.deepEqual(pages.flatMap(labels), [
      `Patient/${a}/v3`, `Patient/${b}/v1`, `Patient/${a}/v2`, `Observation/${o}/v1`, `Patient/${a}/v1`,
    ]);
    for (const p of pages) {
      assert.equal(p.body.type, 'history');
      assert.ok(link(p, 'self')?.startsWith(`${srv.base}/_history?`), link(p, 'self'));
      assert.ok(link(p, 'first')?.startsWith(`${srv.base}/_history?`), link(p, 'first'));
    }
    assert.equal(link(pages[0], 'previous'), undefined);
    assert.equal(link(pages[2], 'next'), undefined);
  });

  test('previous links walk back to the first page', async () => {
    const pages = await allPages(`${srv.base}/Patient/_history?_count=1`);
    assert.equal(pages.length, 4);
    let res = pages[pages.length - 1];
    const seen: string[] = labels(res);
    for (let i = 0; i < 3; i++) {
      const prev = link(res, 'previous');
      assert.ok(prev, `page ${3 - i} has a previous link`);
      res = await fhir('GET', prev);
      assert.equal(res.status, 200);
      seen.unshift(...labels(res));
    }
    assert.deepEqual(seen, pages.flatMap(labels));
    assert.equal(link(res, 'previous'), undefined);
  });

  test('the first link returns the first page and self reproduces the current page', async () => {
    const pages = await allPages(`${srv.base}/_history?_count=2`);
    const first = await fhir('GET', link(pages[2], 'first')!);
    assert.deepEqual(labels(first), labels(pages[0]));
    const self = await fhir('GET', link(pages[1], 'self')!);
    assert.deepEqual(labels(self), labels(pages[1]));
  });

  test('paging links keep _since', async () => {
    const pages = await allPages(`${srv.base}/_history?_since=2024-03-01T11:00:00Z&_count=1`);
    assert.deepEqual(pages.flatMap(labels), [`Patient/${a}/v3`, `Patient/${b}/v1`, `Patient/${a}/v2`, `Observation/${o}/v1`]);
    assert.match(link(pages[1], 'next')!, /_since=/);
  });

  test('instance history pages with _count', async () => {
    const pages = await allPages(`${srv.base}/Patient/${a}/_history?_count=2`);
    assert.deepEqual(pages.flatMap(labels), [`Patient/${a}/v3`, `Patient/${a}/v2`, `Patient/${a}/v1`]);
    assert.ok(link(pages[0], 'next')!.startsWith(`${srv.base}/Patient/${a}/_history?`));
  });

  test('a tampered paging cursor is 400, not 500', async () => {
    assertOutcome(await fhir('GET', `${srv.base}/_history?_count=1&_cursor=not-a-cursor`), { status: 400, code: 'invalid' });
  });
});
