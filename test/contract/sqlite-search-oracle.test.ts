import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeSearchOracle } from './search-oracle.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vesta-sqlite-oracle-'));
let n = 0;

after(() => fs.rmSync(root, { recursive: true, force: true }));

// NORMAL durability only speeds up the bulk load; search semantics do not depend on it.
describeSearchOracle('SQLite', async () => SqliteStore.open({ dataDir: path.join(root, String(n++)), synchronous: 'NORMAL' }));
