import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { RealtimeServer } from "../../realtime/types";
import type { FetchHandler, HttpEndpoint } from "./http-endpoint";
import { attachSocketIo } from "./plain-upgrades";
import { useWsPublish } from "../../realtime/ws-publish";

/**
 * Connections the kernel queues for the node before it accepts them (capped by net.core.somaxconn; Node's
 * default is 511). A node whose loop is late during a reconnect storm accepts in bursts: with 511, the
 * queue overflowed, connects were dropped (TcpExtListenOverflows), nginx's connects timed out after 5 s,
 * marked the survivors down and answered "no live upstreams" (the chaos command's node kill at 1,000 clients).
 */
export const LISTEN_BACKLOG = 4_096;

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
