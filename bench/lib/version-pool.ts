/// <reference types="fhir" />
import type { StoredPatient } from './preload.js';

/**
 * Ids available for conditional updates, each with the version the server last reported.
 * An id is taken out while its PUT is in flight, so no two connections race on one id and
 * every If-Match names the current version.
 */
export class VersionPool {
  private readonly free: string[] = [];
  private readonly versions = new Map<string, number>();
  private readonly resources = new Map<string, fhir4.Patient>();

  constructor(patients: readonly StoredPatient[]) {
    for (const p of patients) {
      this.free.push(p.id);
      this.versions.set(p.id, p.version);
      this.resources.set(p.id, p.resource);
    }
  }

  /** How many ids are idle; ids whose response never came back are not counted. */
  get size(): number {
    return this.free.length;
  }

  /** Takes a random idle id out of the pool, with its version and last body; undefined when none is idle. */
  take(random: () => number): { id: string; version: number; resource: fhir4.Patient } | undefined {
    if (this.free.length === 0) return undefined;
    const i = Math.floor(random() * this.free.length);
    const id = this.free[i] as string;
    // Swap-remove keeps take() O(1) on a pool of thousands.
    this.free[i] = this.free[this.free.length - 1] as string;
    this.free.pop();
    return { id, version: this.versions.get(id) ?? 1, resource: this.resources.get(id) as fhir4.Patient };
  }

  /** Puts an id back after a successful update, at the version the server returned. */
  release(id: string, version: number): void {
    this.versions.set(id, version);
    this.free.push(id);
  }

  /** Forgets an id whose version is no longer known (failed update), so it cannot cause a 412 later. */
  drop(id: string): void {
    this.versions.delete(id);
    this.resources.delete(id);
  }
}
