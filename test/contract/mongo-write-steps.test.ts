import { after, describe } from 'node:test';
import { describeWriteSteps } from './mongo-write-steps.js';
import { openMongoTarget } from '../support/mongo-target.js';

// On mongo-java-server and on FerretDB (whose conditional updates are not atomic), or on the server of MONGODB_URI.
for (const kind of process.env['MONGODB_URI'] ? (['mongo-java-server'] as const) : (['mongo-java-server', 'ferretdb'] as const)) {
  const target = await openMongoTarget(kind, 'steps');
  if (typeof target === 'string') describe(`MongoDB write steps on ${kind}`, { skip: target }, () => undefined);
  else {
    after(() => target.stop());
    describeWriteSteps(`MongoDB (${target.label})`, () => target.makeStore());
  }
}
