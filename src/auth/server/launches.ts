import type { AuthStateStore } from '../../store/auth-state.js';
import { randomToken } from './secrets.js';

/** An EHR launch context (SMART App Launch 2.x app-launch.html#launch-app-ehr-launch): who and what the app opens on. */
export interface LaunchContext {
  patient: string;
  encounter?: string;
  /** The username the launch is for: only that user may complete it. */
  user?: string;
}

const KIND = 'launch';
/** A launch value is good for five minutes: long enough to open the app, short enough not to linger. */
export const LAUNCH_LIFETIME_SECONDS = 300;

/** EHR launch contexts: created by an operator (CLI) or the EHR, used once by the authorization request. */
export class LaunchContexts {
  constructor(private readonly state: AuthStateStore) {}

  /** Creates a context; returns the opaque `launch` value and its expiry (epoch ms). */
  async create(ctx: LaunchContext): Promise<{ launch: string; expiresAt: number }> {
    const launch = randomToken(16);
    const expiresAt = Date.now() + LAUNCH_LIFETIME_SECONDS * 1000;
    await this.state.put({ kind: KIND, id: launch, value: ctx, expiresAt });
    return { launch, expiresAt };
  }

  /** The context of `launch`, removed so that it cannot be used again; undefined when unknown, used or expired. */
  async take(launch: string): Promise<LaunchContext | undefined> {
    return (await this.state.take<LaunchContext>(KIND, launch))?.value;
  }
}
