import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capturingLogger, noteRequest } from '../support/log-scan.js';

// The scan every test server runs at close must catch a leak, or its silence would prove nothing.
test('the log scan catches a name, a search value and a token that reach a log line', () => {
  const { log, assertClean } = capturingLogger();
  noteRequest('http://x/fhir/Patient?family=Scanwright', { Authorization: 'Bearer eyJscan.token.value' }, { resourceType: 'Patient', name: [{ family: 'Leakington' }] });
  log.info('request', { route: '/fhir/:type', status: 200 });
  assertClean();
  for (const leak of ['Leakington', 'Scanwright', 'eyJscan.token.value']) {
    const probe = capturingLogger();
    probe.log.warn(`something about ${leak}`);
    assert.throws(() => probe.assertClean(), /carry PHI or secrets/, leak);
  }
});

test('a fragment of a random id is not a leak; the whole word is', () => {
  noteRequest('http://x/fhir/Patient', {}, { resourceType: 'Patient', address: [{ postalCode: '02120' }] });
  const { log, assertClean } = capturingLogger();
  log.info('request', { requestId: '7021203d-7943-475b-8525-daf6f95674c0' });
  assertClean();
  log.info('lookup 02120 done');
  assert.throws(() => assertClean(), /carry PHI/);
});
