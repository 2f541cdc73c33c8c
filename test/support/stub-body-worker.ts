/**
 * A stand-in body worker for the pool's tests (test/unit/workers/worker-pool.test.ts): the text `crash` ends the
 * thread, `hang` is never answered, anything else gets a plan whose `e` is the number of environment variables the
 * thread sees.
 */
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', (req: { id: number; text?: string }) => {
  if (req.text === 'crash') process.exit(3);
  if (req.text === 'hang') return;
  parentPort!.postMessage({ id: req.id, plan: { exactNumbers: false, root: { t: 'v', s: 0, e: Object.keys(process.env).length } } });
});
