import { after, describe } from 'node:test';
import { describeSearchOracle } from './search-oracle.js';
import { openMongoTarget } from '../support/mongo-target.js';

// The search oracle on FerretDB (searches evaluated in process there); skipped when MONGODB_URI names another server.
const target = process.env['MONGODB_URI'] ? 'MONGODB_URI is set: the MongoDB suites run on that server instead' : await openMongoTarget('ferretdb', 'ferretoracle');
if (typeof target === 'string') describe('MongoDB search oracle on FerretDB', { skip: target }, () => undefined);
else {
  after(() => target.stop());
  describeSearchOracle(`MongoDB (${target.label})`, () => target.makeStore());
}
