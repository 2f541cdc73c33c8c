import { after, describe } from 'node:test';
import { describeSearchOracle } from './search-oracle.js';
import { openMongoTarget } from '../support/mongo-target.js';

// The search oracle on FerretDB (searches evaluated in process there); skipped when MONGODB_URI names another server.
const target = process.env['MONGODB_URI'] ? 'MONGODB_URI is set: the MongoDB suites run on that server instead' : await openMongoTarget('ferretdb', 'ferretoracle');
if (typeof target === 'string') describe('MongoDB search oracle on FerretDB', { skip: target }, () => undefined);
else {
  after(() => target.stop());
  // FerretDB's searches run in process over every live document (it cannot carry the compiled filters), about a
  // second a query here: a sample keeps CI in bounds; VESTA_ORACLE_QUERIES asks for more.
  describeSearchOracle(`MongoDB (${target.label})`, () => target.makeStore(), Number(process.env['VESTA_ORACLE_QUERIES'] ?? 100));
}
