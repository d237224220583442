import type { Server as HttpServer } from "node:http";
import { STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer, serve } from "@hono/node-server";
import { setupWorker } from "@socket.io/sticky";
import type { Server as SocketIoServer } from "socket.io";
import uWS from "uWebSockets.js";
import type { RealtimeServer } from "../../realtime/types";
import { useUwsPublish } from "../../realtime/uws-publish";

type FetchHandler = (req: Request) => Response | Promise<Response>;

const UWS_MAX_BACKPRESSURE = 256 * 1024 * 1024;

export interface HttpEndpoint {
  port: number;
  /** Stops accepting new connections; open ones (sockets, keep-alive) go on until `close`. */
  stopListening(): void;
  close(): Promise<void>;
}

/** Engine "ws": Node's http server runs the API; Socket.IO (engine.io + ws) attaches to it at /socket.io. */
export async function serveOnNodeHttp(fetch: FetchHandler, host: string, port: number, io?: RealtimeServer): Promise<HttpEndpoint> {
  const server = await new Promise<HttpServer>((resolve, reject) => {
    const s = serve({ fetch, port, hostname: host }, () => resolve(s as HttpServer));
    s.once("error", reject);
  });
  io?.attach(server);
  let listening = true;
  return {
    port: (server.address() as AddressInfo).port,
    stopListening: () => {
      if (listening) server.close();
      listening = false;
    },
    close: async () => {
      server.closeAllConnections();
      if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      listening = false;
    },
  };
}

/** Answers a uWS request with the fetch handler (the Hono API), buffering the request body. */
function fetchRoute(fetch: FetchHandler) {
  return (res: uWS.HttpResponse, req: uWS.HttpRequest): void => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const method = req.getMethod().toUpperCase();
    const query = req.getQuery();
    const headers = new Headers();
    req.forEach((k, v) => headers.append(k, v));
    const url = `http://${headers.get("host") ?? "localhost"}${req.getUrl()}${query ? `?${query}` : ""}`;
    const chunks: Buffer[] = [];
    const respond = async (): Promise<void> => {
      let response: Response;
      try {
        response = await fetch(new Request(url, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : Buffer.concat(chunks) }));
      } catch {
        response = new Response("internal error", { status: 500 });
      }
      const body = Buffer.from(await response.arrayBuffer());
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(`${response.status} ${STATUS_CODES[response.status] ?? ""}`);
        response.headers.forEach((value, name) => {
          if (name !== "content-length") res.writeHeader(name, value);
        });
        res.end(body);
      });
    };
    if (method === "GET" || method === "HEAD") void respond();
    else
      res.onData((chunk, isLast) => {
        chunks.push(Buffer.from(chunk.slice(0)));
        if (isLast) void respond();
      });
  };
}

/** Engine "uws": one uWebSockets.js app serves Socket.IO (io.attachApp) and, for every other path, the API. */
export async function serveOnUws(fetch: FetchHandler, host: string, port: number, io?: RealtimeServer, fanoutBatchMs = 0): Promise<HttpEndpoint> {
  const app = uWS.App();
  // uWS drops messages silently past maxBackpressure (64 KiB by default): set it far above the slow-consumer
  // bound (realtime/maintenance.ts) so a slow socket is disconnected with 5003 instead of losing messages.
  if (io) {
    io.attachApp(app, { maxBackpressure: UWS_MAX_BACKPRESSURE } as Parameters<RealtimeServer["attachApp"]>[1]);
    useUwsPublish(io, app, fanoutBatchMs);
  }
  app.any("/*", fetchRoute(fetch));
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(host, port, (token) => (token ? resolve(token) : reject(new Error(`uWebSockets.js could not listen on ${host}:${port}`))));
  });
  let listening = true;
  const stopListening = (): void => {
    if (listening) uWS.us_listen_socket_close(listenSocket);
    listening = false;
  };
  return {
    port: uWS.us_socket_local_port(listenSocket),
    stopListening,
    close: async () => stopListening(),
  };
}

/**
 * Inside a Node cluster worker behind @socket.io/sticky: no listening socket of its own; the primary
 * hands over each connection (sticky by Engine.IO session id) and this worker serves it.
 */
export async function serveAsStickyWorker(fetch: FetchHandler, port: number, io?: RealtimeServer): Promise<HttpEndpoint> {
  if (!io) throw new Error("REALTIME_WORKERS needs the realtime role");
  const server = createAdaptorServer({ fetch }) as HttpServer;
  io.attach(server);
  setupWorker(io as unknown as SocketIoServer);
  // The sticky primary owns the listening socket; a draining worker refuses handshakes (realtime/drain.ts).
  return { port, stopListening: () => undefined, close: async () => void server.close() };
}
