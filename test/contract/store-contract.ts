import { describe } from 'node:test';
import type { ResourceStore, StoreCapabilities } from '../../src/store/port.js';
import { crudCases } from './contract-crud.js';
import { historyCases } from './contract-history.js';
import { searchCases } from './contract-search.js';
import { searchPagingCases } from './contract-search-paging.js';
import { transactionCases } from './contract-transactions.js';

/**
 * The one suite every ResourceStore must pass (DESIGN.md "contract" tests): CRUD and versioning, history,
 * transactions, and every search case of test/fixtures/store-search-cases.ts. `makeStore` returns a fresh,
 * empty store each time; the suite closes every store it opens. Given the store's `capabilities`, cases of a
 * feature it declares it lacks are skipped with the reason (the node:test summary counts them as skipped).
 */
export function describeStoreContract(name: string, makeStore: () => Promise<ResourceStore>, capabilities?: StoreCapabilities): void {
  describe(`${name} store contract`, () => {
    describe('writes, reads and versions', () => crudCases(makeStore));
    describe('history', () => historyCases(makeStore));
    const noTx = capabilities !== undefined && !capabilities.transactions;
    describe('transactions', noTx ? { skip: `skipped by capability: the ${capabilities.name} store reports transactions: false` } : {},
      () => transactionCases(makeStore));
    describe('search', () => searchCases(makeStore));
    describe('search paging and index maintenance', () => searchPagingCases(makeStore));
  });
}
