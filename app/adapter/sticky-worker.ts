import type { Server as HttpServer } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { setupWorker } from "@socket.io/sticky";
import type { Server as SocketIoServer } from "socket.io";
import type { RealtimeServer } from "../../realtime/types";
import type { FetchHandler, HttpEndpoint } from "./http-endpoint";
import { attachSocketIo } from "./plain-upgrades";

/**
 * Inside a Node cluster worker behind @socket.io/sticky: no listening socket of its own; the primary
 * hands over each connection (sticky by Engine.IO session id) and this worker serves it.
 */
export async function serveAsStickyWorker(fetch: FetchHandler, port: number, io?: RealtimeServer): Promise<HttpEndpoint> {
  if (!io) throw new Error("REALTIME_WORKERS needs the realtime role");
  const server = createAdaptorServer({ fetch }) as HttpServer;
  attachSocketIo(io, server);
  setupWorker(io as unknown as SocketIoServer);
  // The sticky primary owns the listening socket; a draining worker refuses handshakes (realtime/drain.ts).
  return { port, stopListening: () => undefined, resumeListening: () => undefined, close: async () => void server.close() };
}
