import net from 'node:net';
import type http from 'node:http';

/** Stops an HTTP server without cutting off any response (see `trackConnections`). */
export interface GracefulCloser {
  /**
   * Stops accepting connections and resolves once every connection has closed: responses in flight finish (they
   * carry `Connection: close`, respond.ts) and are flushed to the client however slowly it reads; idle keep-alive
   * connections stay open `idleWindowMs` so that a request already on its way is answered (with `Connection: close`)
   * rather than reset. After `graceMs` whatever is left is destroyed.
   */
  close(graceMs: number, idleWindowMs?: number): Promise<void>;
}

/**
 * Tracks the server's connections and their requests. Why not `server.close()` alone: since Node 19 it also
 * destroys every connection it deems idle, and a connection whose response has been handed to the socket counts
 * as idle although megabytes may still wait in its buffers for a slow reader: such responses were cut off.
 */
export function trackConnections(server: http.Server): GracefulCloser {
  const busy = new Map<net.Socket, number>();
  let closing = false;
  const endIfIdle = (socket: net.Socket): void => {
    if ((busy.get(socket) ?? 0) > 0 || socket.destroyed) return;
    // end(), not destroy(): the FIN goes after everything buffered has been written.
    socket.end();
  };
  server.on('connection', (socket: net.Socket) => {
    busy.set(socket, 0);
    socket.once('close', () => busy.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      if (!busy.has(socket)) return;
      busy.set(socket, Math.max(0, (busy.get(socket) ?? 1) - 1));
      // Node ends the socket itself after a `Connection: close` response once it is flushed; this is for the rest.
      if (closing) setImmediate(() => endIfIdle(socket));
    });
  });
  return {
    close(graceMs: number, idleWindowMs = 1000): Promise<void> {
      closing = true;
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          for (const socket of busy.keys()) socket.destroy();
        }, graceMs);
        force.unref();
        // net.Server's own close: stop listening and call back when the last connection has closed.
        net.Server.prototype.close.call(server, () => {
          clearTimeout(force);
          resolve();
        });
        const idle = setTimeout(() => {
          for (const socket of busy.keys()) endIfIdle(socket);
        }, idleWindowMs);
        idle.unref();
      });
    },
  };
}
