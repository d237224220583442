import { STATUS_CODES } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import uWS from "uWebSockets.js";
import { skipMiddlewaresOnUpgrades } from "../../realtime/socketio-internals";
import type { RealtimeServer } from "../../realtime/types";
import { useUwsPublish } from "../../realtime/uws-publish";
import { LISTEN_BACKLOG, type FetchHandler, type HttpEndpoint } from "./http-endpoint";
import { withClientSemantics } from "./uws-client-semantics";

const UWS_MAX_BACKPRESSURE = 256 * 1024 * 1024;

/** uWebSockets.js listens with a fixed backlog of 512 (usockets), and no option changes it. */
const UWS_BACKLOG = 512;
/**
 * Listen sockets on the node's one port (SO_REUSEPORT, which uWS sets on each): the kernel spreads new
 * connections over them, so their accept queues add up to LISTEN_BACKLOG as on the ws engine. With one, a
 * survivor of the 13,000-per-node reconnect storm overflowed its 512 (nginx: "upstream timed out while
 * connecting", 23,004 times in a minute).
 */
export const UWS_LISTEN_SOCKETS = Math.ceil(LISTEN_BACKLOG / UWS_BACKLOG);

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

/** Runs `listenAll` on a port that was free a moment ago (picked by binding port 0), a few times if it was taken meanwhile. */
async function onFreePort<T>(host: string, listenAll: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const probe = createNetServer();
    const port = await new Promise<number>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(0, host, () => resolve((probe.address() as AddressInfo).port));
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    try {
      return await listenAll(port);
    } catch (err) {
      if (attempt === 5) throw err;
    }
  }
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
  /** All of them on port `on`; none left open if one fails. */
  const listenAll = async (on: number): Promise<uWS.us_listen_socket[]> => {
    const tried = await Promise.allSettled(Array.from({ length: UWS_LISTEN_SOCKETS }, () => listen(on)));
    const open = tried.flatMap((t) => (t.status === "fulfilled" ? [t.value] : []));
    if (open.length === tried.length) return open;
    for (const s of open) uWS.us_listen_socket_close(s);
    throw (tried.find((t) => t.status === "rejected") as PromiseRejectedResult).reason;
  };
  // port 0 (tests): a free port picked first, since a socket the kernel gave a port to takes no others beside it
  let listenSockets = port === 0 ? await onFreePort(host, listenAll) : await listenAll(port);
  const boundPort = uWS.us_socket_local_port(listenSockets[0] as uWS.us_listen_socket);
  let listening = true;
  const stopListening = (): void => {
    if (listening) for (const s of listenSockets) uWS.us_listen_socket_close(s);
    listening = false;
  };
  return {
    port: boundPort,
    stopListening,
    resumeListening: () => {
      if (listening) return;
      listening = true;
      void listenAll(boundPort).then((tokens) => (listenSockets = tokens));
    },
    close: async () => stopListening(),
  };
}


