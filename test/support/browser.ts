import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or VESTA_CHROMIUM. */
export const CHROMIUM = process.env.VESTA_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots for a person to look at: with the build output (dist/, git-ignored), so the top level stays clean. */
export const SHOTS = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'), 'test-output', 'browser');

/** Why browser tests cannot run here, or undefined when they can (said once on stderr, so a skip is never silent). */
export function browserMissing(what: string): string | undefined {
  const missing = fs.existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
  if (missing) process.stderr.write(`SKIPPING ${what}: ${missing}\n`);
  return missing;
}

/** Headless Chromium through playwright-core (never Playwright's own download), and the screenshot folder made. */
export async function launchChromium(): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { chromium } = await import('playwright-core');
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
