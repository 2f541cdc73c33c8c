/**
 * Child process of sqlite-crash.test.ts: writes Patients one after another into the store at argv[2] and
 * prints each id on stdout only after its write resolved, until the parent kills it with SIGKILL.
 */
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const store = SqliteStore.open({ dataDir: process.argv[2]!, synchronous: 'FULL' });
for (let i = 0; ; i++) {
  const id = `crash${i}`;
  const lastUpdated = new Date(Date.UTC(2024, 0, 1, 0, 0, 0, i)).toISOString();
  await store.write({
    version: { resourceType: 'Patient', id, versionId: '1', lastUpdated, deleted: false, method: 'POST', json: JSON.stringify({ resourceType: 'Patient', id }) },
    index: [{ kind: 'token', param: 'identifier', system: 'urn:test', code: id }],
  }, null);
  process.stdout.write(`${id}\n`);
}
