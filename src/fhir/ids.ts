import { randomUUID } from 'node:crypto';
import { badRequest } from './outcome.js';

/** FHIR R4 id rule (datatypes.html#id): 1-64 of A-Z, a-z, 0-9, '-' and '.'. */
export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** True when `id` is a valid FHIR logical id. */
export const isValidId = (id: string): boolean => ID_PATTERN.test(id);

/** Throws 400 unless `id` is a valid FHIR logical id. */
export function assertValidId(id: string, what = 'id'): void {
  if (!isValidId(id)) throw badRequest(`Invalid ${what}: must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'`);
}

/** Produces server-assigned ids. Injected so tests can be deterministic. */
export type IdGenerator = () => string;

/** Random UUID ids: unguessable, so ids leak nothing about volume or order. */
export const uuidIds: IdGenerator = () => randomUUID();

/** The current time; injected so tests can fix it. */
export type Clock = () => Date;

/** The system clock. */
export const systemClock: Clock = () => new Date();
