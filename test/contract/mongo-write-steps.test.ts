import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { describeWriteSteps } from './mongo-write-steps.js';
import { version, w } from './contract-support.js';
import { MongoStore } from '../../src/store/mongo/mongo-store.js';
import { openMongoTarget } from '../support/mongo-target.js';

// On mongo-java-server and on FerretDB (whose conditional updates are not atomic), or on the server of MONGODB_URI.
for (const kind of process.env['MONGODB_URI'] ? (['mongo-java-server'] as const) : (['mongo-java-server', 'ferretdb'] as const)) {
  const target = await openMongoTarget(kind, 'steps');
  if (typeof target === 'string') describe(`MongoDB write steps on ${kind}`, { skip: target }, () => undefined);
  else {
    after(() => target.stop());
    describeWriteSteps(`MongoDB (${target.label})`, () => target.makeStore());
    test(`MongoDB (${target.label}): a store opened again on the same database (a restart) finds its data and indexes`, async () => {
      const first = await target.makeStore();
      const dbName = first.db.databaseName;
      try {
        await first.write(w(version('Patient', 'again', 1, 0)), null);
      } finally {
        await first.close();
      }
      // Every index exists by now; ensuring them again must be a no-op (FerretDB once dropped the connection here).
      const second = await MongoStore.open({ uri: target.uri, dbName });
      try {
        assert.equal((await second.read('Patient', 'again'))?.versionId, '1');
        await second.write(w(version('Patient', 'again', 2, 1)), '1');
        assert.equal((await second.read('Patient', 'again'))?.versionId, '2');
      } finally {
        await second.close();
      }
    });
  }
}
