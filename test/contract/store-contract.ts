import { describe } from 'node:test';
import type { ResourceStore } from '../../src/store/port.js';
import { crudCases } from './contract-crud.js';
import { historyCases } from './contract-history.js';
import { searchCases } from './contract-search.js';
import { searchPagingCases } from './contract-search-paging.js';
import { transactionCases } from './contract-transactions.js';

/**
 * The one suite every ResourceStore must pass (DESIGN.md "contract" tests): CRUD and versioning, history,
 * transactions, and every search case of test/fixtures/store-search-cases.ts. `makeStore` returns a fresh,
 * empty store each time; the suite closes every store it opens.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<ResourceStore>): void {
  describe(`${name} store contract`, () => {
    describe('writes, reads and versions', () => crudCases(makeStore));
    describe('history', () => historyCases(makeStore));
    describe('transactions', () => transactionCases(makeStore));
    describe('search', () => searchCases(makeStore));
    describe('search paging and index maintenance', () => searchPagingCases(makeStore));
  });
}
