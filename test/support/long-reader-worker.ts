/**
 * Long reads on their own thread, as the store's read workers run them: two connections take turns holding a read
 * transaction for `holdMs`, the second starting half way through the first's, so some reader always holds a snapshot
 * older than the last commit (what keeps a WAL from restarting). Stops on the message 'stop', then says 'done'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, holdMs } = workerData as { file: string; holdMs: number };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let stopping = false;
parentPort!.on('message', (m: unknown) => {
  if (m === 'stop') stopping = true;
});

async function hold(delayMs: number): Promise<void> {
  // A busy timeout, as the store's readers have (connection.ts).
  const db = new Database(file, { readonly: true, timeout: 5000 });
  try {
    await sleep(delayMs);
    while (!stopping) {
      db.exec('BEGIN');
      db.prepare('SELECT COUNT(*) FROM resources').get(); // the snapshot starts here
      await sleep(holdMs);
      db.exec('COMMIT');
    }
  } finally {
    db.close();
  }
}

void Promise.all([hold(0), hold(holdMs / 2)]).then(() => parentPort!.postMessage('done'));
