import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { RealtimeServer } from "../../realtime/types";
import type { FetchHandler, HttpEndpoint } from "./http-endpoint";
import { attachSocketIo } from "./plain-upgrades";
import { useWsPublish } from "../../realtime/ws-publish";

/**
 * Engine "ws": Node's http server runs the API; Socket.IO (engine.io + ws) attaches to it at /socket.io,
 * its broadcasts written frame-once per recipient with a load-only window of `fanoutBatchMs` (realtime/ws-publish.ts).
 */
export async function serveOnNodeHttp(fetch: FetchHandler, host: string, port: number, io?: RealtimeServer, fanoutBatchMs = 0): Promise<HttpEndpoint> {
  const server = await new Promise<HttpServer>((resolve, reject) => {
    const s = serve({ fetch, port, hostname: host }, () => resolve(s as HttpServer));
    s.once("error", reject);
  });
  if (io) {
    attachSocketIo(io, server);
    useWsPublish(io, fanoutBatchMs);
  }
  let listening = true;
  const boundPort = (server.address() as AddressInfo).port;
  return {
    port: boundPort,
    stopListening: () => {
      if (listening) server.close();
      listening = false;
    },
    resumeListening: () => {
      if (listening) return;
      server.listen(boundPort, host);
      listening = true;
    },
    close: async () => {
      server.closeAllConnections();
      if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      listening = false;
    },
  };
}
