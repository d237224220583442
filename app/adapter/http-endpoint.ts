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
