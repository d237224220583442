import { STATUS_CODES } from "node:http";
import uWS from "uWebSockets.js";
import { skipMiddlewaresOnUpgrades } from "../../realtime/socketio-internals";
import type { RealtimeServer } from "../../realtime/types";
import { useUwsPublish } from "../../realtime/uws-publish";
import type { FetchHandler, HttpEndpoint } from "./http-endpoint";
import { withClientSemantics } from "./uws-client-semantics";

const UWS_MAX_BACKPRESSURE = 256 * 1024 * 1024;

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
  const native = uWS.App();
  const app = withClientSemantics(native); // routes registered through it answer as HTTP/1.1 clients expect
  // uWS drops messages silently past maxBackpressure (64 KiB by default): set it far above the slow-consumer
  // bound (realtime/maintenance.ts) so a slow socket is disconnected with 5003 instead of losing messages.
  if (io) {
    io.attachApp(app, { maxBackpressure: UWS_MAX_BACKPRESSURE } as Parameters<RealtimeServer["attachApp"]>[1]);
    skipMiddlewaresOnUpgrades(io);
    useUwsPublish(io, native, fanoutBatchMs);
  }
  app.any("/*", fetchRoute(fetch));
  const listen = (on: number): Promise<uWS.us_listen_socket> =>
    new Promise<uWS.us_listen_socket>((resolve, reject) => {
      app.listen(host, on, (token) => (token ? resolve(token) : reject(new Error(`uWebSockets.js could not listen on ${host}:${on}`))));
    });
  let listenSocket = await listen(port);
  const boundPort = uWS.us_socket_local_port(listenSocket);
  let listening = true;
  const stopListening = (): void => {
    if (listening) uWS.us_listen_socket_close(listenSocket);
    listening = false;
  };
  return {
    port: boundPort,
    stopListening,
    resumeListening: () => {
      if (listening) return;
      listening = true;
      void listen(boundPort).then((token) => (listenSocket = token));
    },
    close: async () => stopListening(),
  };
}


