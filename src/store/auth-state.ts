/**
 * The state of authorization (signing keys, revoked token ids; later clients, users, codes, sessions) kept in the
 * same store as the data, but apart from the FHIR resource tables: a small port of its own (DESIGN, "The trust
 * layer"). Records are JSON documents in named kinds, each with an optional expiry.
 */

/** One record: its kind (`key`, `revoked`...), id, JSON value and optional expiry (epoch ms). */
export interface AuthRecord<T = unknown> {
  kind: string;
  id: string;
  value: T;
  expiresAt?: number;
}

/** The port; every method is atomic and durable when its promise resolves. Expired records read as absent. */
export interface AuthStateStore {
  get<T>(kind: string, id: string): Promise<AuthRecord<T> | undefined>;
  /** Whether a live record exists (the revocation check on every request: as cheap as the store allows). */
  has(kind: string, id: string): Promise<boolean>;
  /** Every live record of a kind, oldest id first. */
  list<T>(kind: string): Promise<AuthRecord<T>[]>;
  /** Creates or replaces a record. */
  put<T>(record: AuthRecord<T>): Promise<void>;
  /** Creates a record only if no live one has its id; false when one does (replay checks, single use). */
  insert<T>(record: AuthRecord<T>): Promise<boolean>;
  /** Reads and removes a record in one step (single-use codes): only one caller ever gets it. */
  take<T>(kind: string, id: string): Promise<AuthRecord<T> | undefined>;
  delete(kind: string, id: string): Promise<void>;
  /** Removes expired records; returns how many. */
  purgeExpired(now?: number): Promise<number>;
}
