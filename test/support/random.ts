/** The seeded PRNG tests share with the sample-data generator (one implementation, in src/sample/). */
export { Random } from '../../src/sample/random.js';
