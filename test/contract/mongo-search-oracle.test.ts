import { after, describe } from 'node:test';
import { describeSearchOracle } from './search-oracle.js';
import { openMongoTarget } from '../support/mongo-target.js';

// The search oracle on a MongoDB-wire server: mongo-java-server started here, or the server of MONGODB_URI.
const target = await openMongoTarget('mongo-java-server', 'oracle');
if (typeof target === 'string') describe('MongoDB search oracle', { skip: target }, () => undefined);
else {
  after(() => target.stop());
  describeSearchOracle(`MongoDB (${target.label})`, () => target.makeStore());
}
