import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { AuditMaintenance } from '../../src/audit/maintenance.js';
import { noopAuditor } from '../../src/audit/auditor.js';
import { TrailAuditor } from '../../src/audit/trail-auditor.js';
import { entryOf, recordOfAccess } from '../../src/audit/record.js';
import { StatementSigner } from '../../src/auth/jws.js';
import { ownTokens } from '../../src/auth/setup.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AccessEvent } from '../../src/vocabulary/access.js';

/**
 * Tamper evidence of the audit trail (issue 13): records changed directly in the store, deleted, inserted, reordered,
 * cut off the end, or with their search columns altered, are all found by verification, which names the first broken
 * link; an untouched chain verifies.
 */

let dir: string;
let store: SqliteStore;
let audit: AuditMaintenance;

function event(i: number, patient: string): AccessEvent {
  return {
    context: {
      requestId: `req-${i}`, interaction: 'read', permissions: ['r'], resourceType: 'Observation', id: `o${i}`,
      principal: { anonymous: false, grants: [], subject: 'dr-who', clientId: 'app', fhirUser: 'Practitioner/7', tokenId: `jti-${i}` },
      client: { address: '10.0.0.9', userAgent: 'test' },
    },
    action: 'R', status: 200, recorded: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), durationMs: 1,
    touched: [{ resourceType: 'Observation', id: `o${i}`, versionId: '1', patients: [patient] }],
  };
}

async function appendRecords(n: number, start = 0): Promise<void> {
  const trail = store.auditTrail();
  for (let i = start; i < start + n; i++) await trail.append([entryOf(recordOfAccess(event(i, i % 2 ? 'A' : 'B'), 'test-site'))]);
  await store.sync();
}

/** Runs SQL on the file as a separate connection would (an attacker with file access). */
function tamper(sql: string, ...args: unknown[]): void {
  const db = new Database(path.join(dir, 'vesta.sqlite'));
  try {
    db.prepare(sql).run(...args);
  } finally {
    db.close();
  }
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-audit-chain-'));
  store = SqliteStore.open({ dataDir: dir, synchronous: 'NORMAL' });
  const config = loadConfig({ VESTA_DATA_DIR: dir });
  const signer = new StatementSigner(ownTokens(config, store.authState()).keys);
  audit = new AuditMaintenance({
    trail: store.auditTrail(), sign: (p) => signer.sign(p), verify: (j) => signer.verify(j), auditor: noopAuditor, site: 'test-site',
    log: createLogger('error', true),
  });
  await appendRecords(20);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('an untouched trail', () => {
  test('verifies, with its checkpoints', async () => {
    await audit.checkpoint();
    await appendRecords(5, 20);
    await audit.checkpoint();
    const report = await audit.verify();
    assert.equal(report.intact, true, JSON.stringify(report.broken));
    assert.equal(report.checked, 25);
    assert.equal(report.checkpoints, 2);
  });

  test('a window of dates verifies from the record before it', async () => {
    const report = await audit.verify(Date.UTC(2026, 0, 1, 0, 0, 5), Date.UTC(2026, 0, 1, 0, 0, 9));
    assert.equal(report.intact, true);
    assert.deepEqual([report.from, report.to, report.checked], [6, 10, 5]);
  });
});

describe('tampering is detected at the first broken link', () => {
  test('a modified record', async () => {
    tamper('UPDATE audit_log SET record = replace(record, \'"status":200\', \'"status":404\') WHERE seq = 7');
    const report = await audit.verify();
    assert.equal(report.intact, false);
    assert.equal(report.broken?.seq, 7);
    assert.match(report.broken!.problem, /modified/);
  });

  test('a deleted record', async () => {
    tamper('DELETE FROM audit_log WHERE seq = 12');
    const report = await audit.verify();
    assert.equal(report.broken?.seq, 12);
    assert.match(report.broken!.problem, /missing/);
  });

  test('an inserted record (the ones after it renumbered)', async () => {
    tamper('UPDATE audit_log SET seq = seq + 100 WHERE seq >= 10');
    tamper('UPDATE audit_log SET seq = seq - 99 WHERE seq >= 110');
    tamper(`INSERT INTO audit_log (seq, prev_hash, hash, record, recorded, type, subtype, action, outcome, agent_names, site)
            SELECT 10, hash, hash, record, recorded, type, subtype, action, outcome, agent_names, site FROM audit_log WHERE seq = 9`);
    const report = await audit.verify();
    assert.equal(report.intact, false);
    assert.equal(report.broken?.seq, 10);
  });

  test('two records swapped', async () => {
    tamper(`UPDATE audit_log SET record = CASE seq WHEN 4 THEN (SELECT record FROM audit_log WHERE seq = 5) ELSE (SELECT record FROM audit_log WHERE seq = 4) END
            WHERE seq IN (4, 5)`);
    const report = await audit.verify();
    assert.equal(report.broken?.seq, 4);
  });

  test('records cut off the end are found against the newest checkpoint', async () => {
    await audit.checkpoint();
    tamper('DELETE FROM audit_log WHERE seq > 17');
    const report = await audit.verify();
    assert.equal(report.intact, false);
    assert.equal(report.broken?.seq, 18);
    assert.match(report.broken!.problem, /checkpoint/);
  });

  test('a search column changed to hide a patient', async () => {
    tamper("UPDATE audit_entity SET ref = 'Patient/Z' WHERE seq = 3 AND role = 'patient'");
    const report = await audit.verify();
    assert.equal(report.broken?.seq, 3);
    assert.match(report.broken!.problem, /search columns or entities/);
  });

  test('a forged checkpoint', async () => {
    const c = await audit.checkpoint();
    tamper('UPDATE audit_checkpoint SET hash = ? WHERE seq = ?', '0'.repeat(64), c!.seq);
    const report = await audit.verify();
    assert.equal(report.intact, false);
    assert.match(report.broken!.problem, /checkpoint/);
  });
});

describe('retention', () => {
  test('removes whole checkpointed segments only, records that it did, and the rest still verifies', async () => {
    const c = await audit.checkpoint();
    await appendRecords(3, 20);
    const signer = new StatementSigner(ownTokens(loadConfig({ VESTA_DATA_DIR: dir }), store.authState()).keys);
    const pruning = new AuditMaintenance({
      trail: store.auditTrail(), sign: (p) => signer.sign(p), verify: (j) => signer.verify(j),
      auditor: new TrailAuditor(store.auditTrail(), 'test-site', createLogger('error', true)), retentionDays: 1, site: 'test-site',
      log: createLogger('error', true),
    });
    const result = await pruning.prune(c!.created + 2 * 86_400_000);
    assert.equal(result.removed, 20);
    assert.equal(result.upTo, 20);
    await store.sync();
    const bounds = await store.auditTrail().bounds();
    assert.equal(bounds?.first, 21);
    let last = '';
    for await (const l of store.auditTrail().links(bounds!.last, bounds!.last, 1)) last = l.text;
    assert.match(last, /audit-pruned/);
    assert.match(last, /removed 20 records up to the checkpoint at 20/);
    const report = await audit.verify();
    assert.equal(report.intact, true, JSON.stringify(report.broken));
  });
});
