/**
 * Connections the kernel queues for the node before it accepts them (capped by net.core.somaxconn; Node's
 * default is 511, uWebSockets.js' a fixed 512 per listen socket). A node whose loop is late during a
 * reconnect storm accepts in bursts: with 511, the queue overflowed, connects were dropped
 * (TcpExtListenOverflows), nginx's connects timed out after 5 s, marked the survivors down and answered
 * "no live upstreams" (the chaos command's node kill at 1,000 clients). Both engines queue this many.
 */
export const LISTEN_BACKLOG = 4_096;

/** What an HTTP adapter returns: the bound port and how to stop it. */
export interface HttpEndpoint {
  port: number;
  /** Stops accepting new connections; open ones (sockets, keep-alive) go on until `close`. */
  stopListening(): void;
  /** Accepts new connections again on the same port (after stopListening). */
  resumeListening(): void;
  close(): Promise<void>;
}

/** The API as a fetch handler (Hono's `app.fetch`): every adapter serves it. */
export type FetchHandler = (req: Request) => Response | Promise<Response>;
