import { after, describe } from 'node:test';
import { describeSearchOracle } from './search-oracle.js';
import { openMongoTarget } from '../support/mongo-target.js';

// The search oracle on FerretDB (searches evaluated in process there); skipped when MONGODB_URI names another server.
const target = process.env['MONGODB_URI'] ? 'MONGODB_URI is set: the MongoDB suites run on that server instead' : await openMongoTarget('ferretdb', 'ferretoracle');
if (typeof target === 'string') describe('MongoDB search oracle on FerretDB', { skip: target }, () => undefined);
else {
  after(() => target.stop());
  // FerretDB's searches run in process over the candidates of a superset filter (it cannot carry the compiled
  // filters), and it reads the whole collection for any filter: seeding 2,710 resources and 100 queries took about
  // six minutes on the loaded 2-core CI machine. A sample keeps CI in bounds; VESTA_ORACLE_QUERIES asks for more.
  describeSearchOracle(`MongoDB (${target.label})`, () => target.makeStore(), Number(process.env['VESTA_ORACLE_QUERIES'] ?? 100));
}
