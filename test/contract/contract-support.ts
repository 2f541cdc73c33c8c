import type { IndexEntries } from '../../src/vocabulary/index-values.js';
import type { ResourceStore, StoredVersion, VersionWrite } from '../../src/store/port.js';

/** Makes a fresh, empty store for one test. */
export type StoreFactory = () => Promise<ResourceStore>;

/** Runs `fn` on a fresh store and always closes it. */
export async function withStore(makeStore: StoreFactory, fn: (store: ResourceStore) => Promise<void>): Promise<void> {
  const store = await makeStore();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** The instant of minute `n` after a fixed epoch, in the stored form (ms and `Z`). */
export function at(n: number): string {
  return new Date(Date.UTC(2024, 0, 1, 0, n, 0, 0)).toISOString();
}

/** A stored version of `type/id` at version `vid`, written at minute `minute`, with JSON built as the service would. */
export function version(
  type: string, id: string, vid: number, minute: number,
  extra: Record<string, unknown> = {}, method: StoredVersion['method'] = vid === 1 ? 'POST' : 'PUT',
): StoredVersion {
  const lastUpdated = at(minute);
  const json = JSON.stringify({ resourceType: type, id, meta: { versionId: String(vid), lastUpdated }, ...extra });
  return { resourceType: type, id, versionId: String(vid), lastUpdated, deleted: false, method, json };
}

/** The deletion tombstone of `type/id` at version `vid`. */
export function tombstone(type: string, id: string, vid: number, minute: number): StoredVersion {
  return { resourceType: type, id, versionId: String(vid), lastUpdated: at(minute), deleted: true, method: 'DELETE', json: '' };
}

/** A write of `v` with the given index rows. */
export function w(v: StoredVersion, index: IndexEntries = []): VersionWrite {
  return { version: v, index };
}

/** `Type/id@versionId` labels, for compact assertions on lists of versions. */
export function labels(items: readonly StoredVersion[]): string[] {
  return items.map((v) => `${v.resourceType}/${v.id}@${v.versionId}`);
}

/** `Type/id` labels. */
export function refs(items: readonly StoredVersion[]): string[] {
  return items.map((v) => `${v.resourceType}/${v.id}`);
}

/** Resolves after `ms` milliseconds, letting other async work run meanwhile. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
