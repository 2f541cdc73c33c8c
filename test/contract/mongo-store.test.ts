import { after, describe } from 'node:test';
import { describeStoreContract } from './store-contract.js';
import { openMongoTarget } from '../support/mongo-target.js';

// The store contract on a MongoDB-wire server: mongo-java-server started here, or the server of MONGODB_URI.
const target = await openMongoTarget('mongo-java-server', 'contract');
if (typeof target === 'string') describe('MongoDB store contract', { skip: target }, () => undefined);
else {
  after(() => target.stop());
  describeStoreContract(`MongoDB (${target.label})`, () => target.makeStore(), target.capabilities);
}
