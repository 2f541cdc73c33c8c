import type { NextFunction, Request, Response } from 'express';

/**
 * A fixed-window limit per client address (the socket's: Vesta does not trust proxy headers) for the login, token
 * and introspection endpoints, which answer guesses. Over the limit: 429 with `Retry-After`. Kept in memory: each
 * process limits what reaches it.
 */
export function rateLimit(perMinute: number, respond: (res: Response, retryAfter: number) => void) {
  let window = 0;
  let counts = new Map<string, number>();
  return (req: Request, res: Response, next: NextFunction): void => {
    const now = Math.floor(Date.now() / 60_000);
    if (now !== window) {
      window = now;
      counts = new Map();
    }
    const key = req.socket.remoteAddress ?? 'unknown';
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n > perMinute) return respond(res, 60 - Math.floor((Date.now() / 1000) % 60));
    next();
  };
}
