import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { Server, type Socket } from "socket.io";
import { io as connect, type Socket as ClientSocket } from "socket.io-client";
import uWS from "uWebSockets.js";
import { afterEach, describe, expect, it } from "vitest";
import { releaseRequest } from "./socketio-internals";
import type { RealtimeSocket } from "./types";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

type Engine = "uws" | "ws";
const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A Socket.IO server on the engine whose "/" connections release their request; `seen` gets each socket after. */
async function serve(engine: Engine, seen: (socket: Socket, request: object) => void): Promise<number> {
  const io = new Server({ serveClient: false });
  io.on("connection", (socket) => {
    const request = socket.request as object;
    releaseRequest(socket as unknown as RealtimeSocket);
    seen(socket, request);
  });
  io.of("/other").on("connection", (socket) => socket.emit("handshake", { headers: socket.handshake.headers, url: socket.handshake.url, address: socket.handshake.address }));
  if (engine === "uws") {
    const app = uWS.App();
    io.attachApp(app);
    const token = await new Promise<uWS.us_listen_socket>((resolve, reject) => app.listen("127.0.0.1", 0, (t) => (t ? resolve(t) : reject(new Error("listen failed")))));
    closers.push(() => (void io.close(), uWS.us_listen_socket_close(token)));
    return uWS.us_socket_local_port(token);
  }
  const http = createServer();
  io.attach(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  closers.push(() => void io.close());
  return (http.address() as AddressInfo).port;
}

function client(port: number, nsp = "/"): ClientSocket {
  const socket = connect(`http://127.0.0.1:${port}${nsp}`, { transports: ["websocket"], auth: { token: "t" }, reconnection: false, forceNew: false });
  closers.push(() => socket.close());
  return socket;
}

describe.each<Engine>(["uws", "ws"])("releaseRequest (%s engine)", (engine) => {
  it("keeps the handshake's address, issued, time and auth; drops headers, URL and query; later namespaces still connect", async () => {
    let server: Socket | undefined;
    const port = await serve(engine, (socket) => (server = socket));
    const main = client(port);
    await new Promise<void>((resolve, reject) => (main.once("connect", resolve), main.once("connect_error", reject)));
    const h = server!.handshake;
    const timeBefore = new Date(h.issued).toString();
    expect(h.address).toMatch(/127\.0\.0\.1/);
    expect(h.auth).toEqual({ token: "t" });
    expect(h.time).toBe(timeBefore);
    expect(h.headers).toEqual({});
    expect(h.query).toEqual({});
    expect(h.url).toBe("");
    expect(JSON.parse(JSON.stringify(h))).toEqual({ headers: {}, time: timeBefore, address: h.address, xdomain: false, secure: false, issued: h.issued, url: "", query: {}, auth: { token: "t" } });
    expect((server!.conn as unknown as { request: { headers: object } }).request.headers).toEqual({});
    expect(server!.conn.remoteAddress).toBe(h.address);

    // a namespace joined on the same connection builds its handshake from the released request
    const other = connect(`http://127.0.0.1:${port}/other`, { transports: ["websocket"], reconnection: false });
    closers.push(() => other.close());
    const seen = await new Promise<unknown>((resolve, reject) => (other.once("handshake", resolve), other.once("connect_error", reject)));
    expect(seen).toEqual({ headers: {}, url: "", address: h.address });
  });
});

describe.each<Engine>(["uws", "ws"])("releaseRequest (%s engine), memory", (engine) => {
  it("lets the upgrade's request (headers and all) be collected while the socket stays connected", async () => {
    let released: WeakRef<object> | undefined;
    const port = await serve(engine, (_socket, request) => (released = new WeakRef(request)));
    const main = client(port);
    await new Promise<void>((resolve, reject) => (main.once("connect", resolve), main.once("connect_error", reject)));
    for (let i = 0; i < 5 && released?.deref() !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      gc();
    }
    expect(released?.deref()).toBeUndefined();
    expect(main.connected).toBe(true);
  });
});
