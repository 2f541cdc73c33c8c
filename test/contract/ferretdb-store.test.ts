import { after, describe } from 'node:test';
import { describeStoreContract } from './store-contract.js';
import { openMongoTarget } from '../support/mongo-target.js';

// The store contract on FerretDB (SQLite backend) started here; skipped when MONGODB_URI names another server.
const target = process.env['MONGODB_URI'] ? 'MONGODB_URI is set: the MongoDB suites run on that server instead' : await openMongoTarget('ferretdb', 'ferret');
if (typeof target === 'string') describe('MongoDB store contract on FerretDB', { skip: target }, () => undefined);
else {
  after(() => target.stop());
  describeStoreContract(`MongoDB (${target.label})`, () => target.makeStore(), target.capabilities);
}
