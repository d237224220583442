import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { RealtimeServer } from "../../realtime/types";
import { LISTEN_BACKLOG, type FetchHandler, type HttpEndpoint } from "./http-endpoint";
import { attachSocketIo } from "./plain-upgrades";
import { useWsPublish } from "../../realtime/ws-publish";

/**
 * Engine "ws": Node's http server runs the API; Socket.IO (engine.io + ws) attaches to it at /socket.io,
 * its broadcasts written frame-once per recipient with a load-only window of `fanoutBatchMs` (realtime/ws-publish.ts).
 */
export async function serveOnNodeHttp(fetch: FetchHandler, host: string, port: number, io?: RealtimeServer, fanoutBatchMs = 0): Promise<HttpEndpoint> {
  const server = createAdaptorServer({ fetch }) as HttpServer;
  const listen = (on: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: on, host, backlog: LISTEN_BACKLOG }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(port);
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
      listening = true;
      void listen(boundPort).catch(() => (listening = false));
    },
    close: async () => {
      server.closeAllConnections();
      if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      listening = false;
    },
  };
}
