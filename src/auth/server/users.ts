import type { AuthStateStore } from '../../store/auth-state.js';
import { decoyHash, hashSecret, randomToken, verifySecret } from './secrets.js';

/** A user who can log in to the authorization server; the password only as a scrypt hash. */
export interface User {
  username: string;
  /** The stable, opaque subject (`sub`) of the user's tokens: logs name it, never the username. */
  id: string;
  passwordHash: string;
  /** The FHIR resource the user is (`Patient/123`, `Practitioner/456`): the `fhirUser` claim. */
  fhirUser?: string;
  disabled: boolean;
  createdAt: string;
}

/** Failed logins of one user, counted until a success or the lockout ends. */
interface Failures {
  count: number;
  lockedUntil?: number;
}

/** How a login ended. */
export type LoginResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled'; lockedNow?: boolean };

/** Lockout policy: after `attempts` failures in a row, no login for `lockoutSeconds`. */
export interface LockoutPolicy {
  attempts: number;
  lockoutSeconds: number;
}

const KIND = 'user';
const FAILURES = 'login-failures';
const FHIR_USER = /^(Patient|Practitioner|PractitionerRole|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64}$/;
const USERNAME = /^[A-Za-z0-9._@\-]{1,64}$/;

/** The users of the built-in authorization server, kept in the store's auth state. */
export class UserDirectory {
  constructor(private readonly state: AuthStateStore, private readonly lockout: LockoutPolicy = { attempts: 5, lockoutSeconds: 900 }) {}

  async add(username: string, password: string, fhirUser?: string): Promise<User> {
    if (!USERNAME.test(username)) throw new Error('a username is 1 to 64 letters, digits or . _ @ -');
    checkPassword(password);
    if (fhirUser !== undefined && !FHIR_USER.test(fhirUser)) throw new Error('--fhir-user is a reference such as Patient/123 or Practitioner/456');
    const user: User = { username, id: randomToken(12), passwordHash: await hashSecret(password), disabled: false, createdAt: new Date().toISOString() };
    if (fhirUser !== undefined) user.fhirUser = fhirUser;
    if (!(await this.state.insert({ kind: KIND, id: username, value: user }))) throw new Error(`user ${username} exists already`);
    return user;
  }

  async get(username: string): Promise<User | undefined> {
    return (await this.state.get<User>(KIND, username))?.value;
  }

  async list(): Promise<User[]> {
    return (await this.state.list<User>(KIND)).map((r) => r.value);
  }

  async setDisabled(username: string, disabled: boolean): Promise<void> {
    const user = await this.require(username);
    await this.state.put({ kind: KIND, id: username, value: { ...user, disabled } });
  }

  async setPassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    const user = await this.require(username);
    await this.state.put({ kind: KIND, id: username, value: { ...user, passwordHash: await hashSecret(password) } });
    await this.state.delete(FAILURES, username);
  }

  /**
   * Checks a login. Unknown users cost the same scrypt work as known ones. A locked user is refused without
   * looking at the password; the `attempts`-th failure in a row locks the user for `lockoutSeconds`.
   */
  async login(username: string, password: string): Promise<LoginResult> {
    const user = USERNAME.test(username) ? await this.get(username) : undefined;
    const failures = (await this.state.get<Failures>(FAILURES, username))?.value;
    if (user && failures?.lockedUntil !== undefined && failures.lockedUntil > Date.now()) return { ok: false, reason: 'locked' };
    const good = await verifySecret(password, user?.passwordHash ?? (await decoyHash()));
    if (user && good && !user.disabled) {
      if (failures) await this.state.delete(FAILURES, username);
      return { ok: true, user };
    }
    if (user && good && user.disabled) return { ok: false, reason: 'disabled' };
    if (!user) return { ok: false, reason: 'invalid' };
    const count = (failures?.lockedUntil !== undefined ? 0 : failures?.count ?? 0) + 1;
    const locked = count >= this.lockout.attempts;
    const lockedUntil = Date.now() + this.lockout.lockoutSeconds * 1000;
    await this.state.put({
      kind: FAILURES, id: username, value: locked ? { count, lockedUntil } : { count }, expiresAt: lockedUntil,
    });
    return locked ? { ok: false, reason: 'invalid', lockedNow: true } : { ok: false, reason: 'invalid' };
  }

  private async require(username: string): Promise<User> {
    const user = await this.get(username);
    if (!user) throw new Error(`no user ${username}`);
    return user;
  }
}

function checkPassword(password: string): void {
  if (password.length < 8) throw new Error('a password has at least 8 characters');
  if (password.length > 1024) throw new Error('a password has at most 1024 characters');
}
