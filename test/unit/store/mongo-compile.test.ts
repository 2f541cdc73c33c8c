import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileFilter, literalRegex, type StageRunner } from '../../../src/store/mongo/compile.js';
import type { Clause } from '../../../src/vocabulary/plan.js';

/**
 * Security by construction in the MongoDB compiler: whatever a user puts in a search value, every field name and
 * operator of the compiled filter comes from the compiler's own fixed set, and the values land only as operands.
 */
const HOSTILE = ['$where', '{"$gt": ""}', 'a.b', '$ne', '.*', '^(a+)+$', '\\', '\u0000', "'); db.dropDatabase();//", 'x\ny'];
const FIELDS = new Set(['_id', 'p', 'v', 'e', 's', 'c', 'lo', 'hi', 'u', 'tt', 'ti', 'r', 't', 'd', 'n', 'q', 'cx', 's.p', 't.p', 'd.p', 'n.p', 'q.p', 'r.p', 'u.p']);
const OPERATORS = new Set(['$and', '$or', '$nor', '$elemMatch', '$eq', '$in', '$gte', '$gt', '$lte', '$lt', '$regex']);

const stages: StageRunner = {
  types: async () => ['Patient'],
  ids: async () => ['id-1', '$where'],
  referencedIds: async () => ['$gt'],
};

/** Every key of the filter, with the values that sit under an operator. */
function keysOf(x: unknown, keys: string[] = []): string[] {
  if (Array.isArray(x)) x.forEach((y) => keysOf(y, keys));
  else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      keys.push(k);
      keysOf(v, keys);
    }
  }
  return keys;
}

function clausesWith(value: string): Clause[] {
  const p = (code: string, type: 'string' | 'token' | 'reference' | 'uri' | 'date') => ({ code, type });
  return [
    { kind: 'string', param: p('family', 'string'), mode: 'prefix', value },
    { kind: 'string', param: p('family', 'string'), mode: 'contains', value },
    { kind: 'string', param: p('family', 'string'), mode: 'exact', value, folded: value },
    { kind: 'token', param: p('identifier', 'token'), system: value, code: value },
    { kind: 'reference', param: p('subject', 'reference'), targetType: 'Patient', id: value, url: value },
    { kind: 'uri', param: p('url', 'uri'), mode: 'above', value },
    { kind: 'uri', param: p('url', 'uri'), mode: 'below', value },
    { kind: 'ids', ids: [value] },
    { kind: 'not', clause: { kind: 'token', param: p('_id', 'token'), code: value } },
    { kind: 'chain', param: p('subject', 'reference'), targetTypes: ['Patient'], where: { kind: 'string', param: p('name', 'string'), mode: 'contains', value } },
    { kind: 'has', sourceType: 'Observation', param: p('subject', 'reference'), where: { kind: 'token', param: p('code', 'token'), code: value } },
    { kind: 'missing', param: p(value, 'string'), missing: true },
  ];
}

describe('the MongoDB filter compiler', () => {
  for (const value of HOSTILE) {
    test(`keeps ${JSON.stringify(value)} a value in every clause kind`, async () => {
      for (const clause of clausesWith(value)) {
        const filter = await compileFilter(clause, 'Patient', stages);
        for (const k of keysOf(filter)) assert.ok(FIELDS.has(k) || OPERATORS.has(k), `unexpected key ${JSON.stringify(k)} in ${JSON.stringify(filter)}`);
      }
    });
  }

  test('escapes every non-alphanumeric ASCII character of a contains value', () => {
    assert.equal(literalRegex('a.b*c'), 'a\\x{2e}b\\x{2a}c');
    assert.equal(literalRegex('ü$'), 'ü\\x{24}');
    assert.doesNotMatch(literalRegex('^(a+)+$\\\u0000'), /[\^$()+.\\](?!x\{)/);
  });
});
