import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { etagOf, httpDate, versionFromEtag } from '../../../src/fhir/etag.js';

describe('Last-Modified dates', () => {
  test('httpDate agrees with Date.toUTCString on stored instants across leap years, month ends and centuries', () => {
    const instants: string[] = [];
    for (const year of [1970, 1999, 2000, 2024, 2026, 2100, 2400]) {
      for (const [month, day] of [[1, 1], [2, 28], [2, 29], [3, 1], [6, 15], [12, 31]] as const) {
        const d = new Date(Date.UTC(year, month - 1, day, 23, 59, 58, 123));
        instants.push(d.toISOString());
      }
    }
    for (let t = 0; t < 400; t++) instants.push(new Date(1_600_000_000_000 + t * 86_400_000 * 3.7).toISOString());
    for (const iso of instants) assert.equal(httpDate(iso), new Date(iso).toUTCString(), iso);
  });

  test('instants in other forms go through Date', () => {
    assert.equal(httpDate('2026-12-06T06:00:00+02:00'), 'Sun, 06 Dec 2026 04:00:00 GMT');
    assert.equal(httpDate('2026-12-06T04:00:00Z'), 'Sun, 06 Dec 2026 04:00:00 GMT');
  });

  test('ETags carry the version and read back', () => {
    assert.equal(etagOf('3'), 'W/"3"');
    assert.equal(versionFromEtag('W/"3"'), '3');
    assert.equal(versionFromEtag('"12"'), '12');
    assert.equal(versionFromEtag('W/"a b"'), undefined);
  });
});
