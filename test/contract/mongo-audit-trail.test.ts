import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuditMaintenance } from '../../src/audit/maintenance.js';
import { noopAuditor } from '../../src/audit/auditor.js';
import { entryOf, recordOfAccess } from '../../src/audit/record.js';
import { StatementSigner } from '../../src/auth/jws.js';
import { ownTokens } from '../../src/auth/setup.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { MongoAuditTrail } from '../../src/store/mongo/mongo-audit-trail.js';
import type { MongoStore } from '../../src/store/mongo/mongo-store.js';
import type { AccessEvent } from '../../src/vocabulary/access.js';
import { openMongoTarget } from '../support/mongo-target.js';

/**
 * The audit trail and the auth state kept in MongoDB: one hash chain even with two appenders (two processes share a
 * database), verification of an untouched chain, tampering found at the first broken link, and the auth state's
 * single-use operations. On mongo-java-server started here, or the server of MONGODB_URI.
 */
function event(i: number): AccessEvent {
  return {
    context: {
      requestId: `req-${i}`, interaction: 'read', permissions: ['r'], resourceType: 'Observation', id: `o${i}`,
      principal: { anonymous: false, grants: [], subject: 'dr-who', clientId: 'app', fhirUser: 'Practitioner/7', tokenId: `jti-${i}` },
      client: { address: '10.0.0.9', userAgent: 'test' },
    },
    action: 'R', status: 200, recorded: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), durationMs: 1,
    touched: [{ resourceType: 'Observation', id: `o${i}`, versionId: '1', patients: [i % 2 ? 'A' : 'B'] }],
  };
}

const target = await openMongoTarget('mongo-java-server', 'audit');
if (typeof target === 'string') describe('MongoDB audit trail and auth state', { skip: target }, () => undefined);
else {
  let store: MongoStore;
  let audit: AuditMaintenance;
  before(async () => {
    store = await target.makeStore();
    const config = loadConfig({ VESTA_DATA_DIR: '/nonexistent-vesta-test', VESTA_SECRET_KEY: 'k'.repeat(40) });
    const signer = new StatementSigner(ownTokens(config, store.authState()).keys);
    audit = new AuditMaintenance({
      trail: store.auditTrail(), sign: (p) => signer.sign(p), verify: (j) => signer.verify(j), auditor: noopAuditor, site: 'test-site',
      log: createLogger('error', true),
    });
  });
  after(async () => {
    await store.close();
    await target.stop();
  });

  describe(`MongoDB audit trail and auth state (${target.label})`, () => {
    test('two appenders on one database keep one chain, which verifies with its checkpoints', async () => {
      const other = new MongoAuditTrail(store.db); // as a second process would
      const mine = store.auditTrail();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? other : mine).append([entryOf(recordOfAccess(event(i), 'test-site'))])));
      await audit.checkpoint();
      const report = await audit.verify();
      assert.equal(report.intact, true, JSON.stringify(report.broken));
      assert.equal(report.checked, 20);
      assert.deepEqual(await mine.bounds(), { first: 1, last: 20 });
    });

    test('finds AuditEvents by patient and by date, newest first, page by page', async () => {
      const trail = store.auditTrail();
      const query = {
        types: ['AuditEvent'], count: 4, total: 'accurate' as const,
        sort: [{ param: { code: 'date', type: 'date' as const }, descending: true }],
        where: { kind: 'reference' as const, param: { code: 'patient', type: 'reference' as const }, targetType: 'Patient', id: 'A' },
      };
      const seen: number[] = [];
      let page = await trail.search(query);
      assert.equal(page.total, 10);
      seen.push(...page.items.map((i) => i.seq));
      while (page.next) {
        page = await trail.search({ ...query, cursor: page.next });
        seen.push(...page.items.map((i) => i.seq));
      }
      assert.equal(seen.length, 10);
      assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    });

    test('a record modified in the database is found at its link', async () => {
      const log = store.db.collection<{ _id: number; text: string }>('vesta_audit');
      const seventh = await log.findOne({ _id: 7 });
      await log.updateOne({ _id: 7 }, { $set: { text: seventh!.text.replace('"status":200', '"status":404') } });
      const report = await audit.verify();
      assert.equal(report.intact, false);
      assert.equal(report.broken?.seq, 7);
    });

    test('auth state: insert once, take once, expiry respected', async () => {
      const auth = store.authState();
      assert.equal(await auth.insert({ kind: 'code', id: 'c1', value: { a: 1 } }), true);
      assert.equal(await auth.insert({ kind: 'code', id: 'c1', value: { a: 2 } }), false);
      const taken = await Promise.all([auth.take('code', 'c1'), auth.take('code', 'c1')]);
      assert.deepEqual(taken.filter((t) => t !== undefined).map((t) => t!.value), [{ a: 1 }]);
      await auth.put({ kind: 'revoked', id: 'old', value: true, expiresAt: Date.now() - 1000 });
      await auth.put({ kind: 'revoked', id: 'new', value: true, expiresAt: Date.now() + 60_000 });
      assert.equal(await auth.has('revoked', 'old'), false);
      assert.deepEqual((await auth.list('revoked')).map((r) => r.id), ['new']);
      assert.equal(await auth.purgeExpired(), 1);
    });
  });
}
