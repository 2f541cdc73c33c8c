import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-sqlite-contract-'));
let n = 0;

after(() => fs.rmSync(root, { recursive: true, force: true }));

describeStoreContract('SQLite', async () => SqliteStore.open({ dataDir: path.join(root, String(n++)) }));
// The server's configuration: searches and history pages answered by read worker threads.
describeStoreContract('SQLite with read workers', async () => SqliteStore.open({ dataDir: path.join(root, String(n++)), readWorkers: 2 }));
