import type { EventEmitter } from "node:events";
import type { Adapter } from "socket.io-adapter";
import type { WebSocket as UwsSocket } from "uWebSockets.js";
import type { RealtimeServer, RealtimeSocket } from "./types";

/**
 * The one place that reaches into Socket.IO / Engine.IO internals (members that are private or untyped
 * in socket.io 4.8). Each accessor names what it relies on, so an upgrade of socket.io checks this file
 * (and the tests of drain, sticky routing, slow consumers and uWS fan-out) instead of four.
 */

type AllowRequest = (req: unknown, cb: (err: string | null | undefined, ok: boolean) => void) => void;
type IdGenerator = (req: unknown) => string | Promise<string>;
type EngineInternals = { opts: { allowRequest?: AllowRequest }; generateId: IdGenerator };

function engineOf(io: RealtimeServer): EngineInternals | undefined {
  return io.engine as unknown as EngineInternals | undefined;
}

const allowedBefore = new WeakMap<EngineInternals, AllowRequest | undefined>();

/** Refuses every new Engine.IO handshake with `reason` (engine `opts.allowRequest`). No-op before attach. */
export function refuseHandshakes(io: RealtimeServer, reason: string): void {
  const engine = engineOf(io);
  if (!engine) return;
  if (!allowedBefore.has(engine)) allowedBefore.set(engine, engine.opts.allowRequest);
  engine.opts.allowRequest = (_req, cb) => cb(reason, false);
}

/** Undoes refuseHandshakes: new handshakes are admitted as before it. */
export function allowHandshakes(io: RealtimeServer): void {
  const engine = engineOf(io);
  if (!engine || !allowedBefore.has(engine)) return;
  engine.opts.allowRequest = allowedBefore.get(engine);
  allowedBefore.delete(engine);
}

type Middlewares = { _applyMiddlewares(req: { _query?: { transport?: string } }, res: unknown, callback: (err?: unknown) => void): void };

/**
 * Engine.IO runs its HTTP middlewares (here only CORS, from the `cors` option) on WebSocket upgrades too,
 * and on the uWS engine that wraps the upgrade's response in a ResponseWrapper which the WebSocket and
 * its request keep for the connection's whole life (~1 KB per socket: buffered headers, listeners, the
 * response's closures). CORS means nothing to a WebSocket upgrade (browsers do not apply it there), so
 * upgrades skip the middlewares; long-polling requests keep them. Call once after attach.
 */
export function skipMiddlewaresOnUpgrades(io: RealtimeServer): void {
  const engine = io.engine as unknown as Middlewares | undefined;
  if (!engine) throw new Error("attach Socket.IO before changing its middlewares");
  const apply = engine._applyMiddlewares.bind(engine);
  engine._applyMiddlewares = (req, res, callback) => (req._query?.transport === "websocket" ? callback() : apply(req, res, callback));
}

/**
 * Gives a socket the node's one `onAny` listener without an array per socket: every socket of the node
 * shares one frozen array holding it (Socket.IO reads `_anyListeners` on each inbound event; `onAny` would
 * allocate a growable array per socket, ~150 bytes). Frozen, so an `onAny`/`offAny` on such a socket
 * throws instead of changing every socket's listeners.
 */
export function sharedAnyListeners(listener: (...args: never[]) => void): (socket: RealtimeSocket) => void {
  const shared = Object.freeze([listener]);
  return (socket) => {
    (socket as unknown as { _anyListeners: readonly unknown[] })._anyListeners = shared;
  };
}

/** Prefixes every session id the engine issues from now on with `prefix` (engine `generateId`). */
export function prefixSessionIds(io: RealtimeServer, prefix: string): void {
  const engine = engineOf(io);
  if (!engine) throw new Error("attach Socket.IO before prefixing session ids");
  const original = engine.generateId.bind(engine);
  engine.generateId = async (req) => `${prefix}${await original(req)}`;
}

type ConnInternals = {
  writeBuffer?: Array<{ data?: string | { byteLength: number } }>;
  transport: { name: string; socket?: { bufferedAmount?: number; getBufferedAmount?: () => number } };
};

/**
 * Bytes waiting in a socket's send path, for either engine (ws `bufferedAmount`, uWS `getBufferedAmount`) and
 * transport. A uWS socket closed since the caller listed it throws on any access ("Invalid access of closed
 * uWS.WebSocket"): it has nothing left to send, 0.
 */
export function bufferedBytes(socket: RealtimeSocket): number {
  const conn = socket.conn as unknown as ConnInternals;
  const raw = conn.transport?.socket;
  let bytes: number;
  try {
    bytes = typeof raw?.bufferedAmount === "number" ? raw.bufferedAmount : (raw?.getBufferedAmount?.() ?? 0);
  } catch {
    return 0;
  }
  // packets engine.io holds back while the transport is not writable
  for (const packet of conn.writeBuffer ?? []) bytes += typeof packet.data === "string" ? packet.data.length : (packet.data?.byteLength ?? 0);
  return bytes;
}

/** An Engine.IO connection's transport: its name and, on the uWS engine's WebSocket transport, the uWS socket. */
export function transportOf(conn: unknown): { name: string; uws?: UwsSocket<unknown> } {
  const transport = (conn as { transport?: { name: string; socket?: UwsSocket<unknown> } } | undefined)?.transport;
  return { name: transport?.name ?? "", uws: transport?.name === "websocket" ? transport.socket : undefined };
}

/** Calls `onPolling` for each new Engine.IO connection that starts on HTTP long-polling, with a callback for when it upgrades or closes. */
export function onPollingConnection(io: RealtimeServer, onPolling: (ended: (fn: () => void) => void) => void): void {
  io.engine.on("connection", (conn: { transport: { name: string }; once(event: string, fn: () => void): void }) => {
    if (conn.transport.name === "websocket") return;
    onPolling((fn) => {
      conn.once("upgrade", fn);
      conn.once("close", fn);
    });
  });
}

type PollingWrite = { client: { writeToEngine(encoded: unknown[], opts: object): void }; conn: unknown };
/** The adapter members Socket.IO's own uWS patch uses (private in the typings). */
type AdapterInternals = { encoder: { encode(packet: unknown): Array<string | Buffer> }; apply(opts: unknown, each: (socket: PollingWrite) => void): void };

/** Encodes a packet with the adapter's encoder (adapter `encoder`, private). */
export function encodeWith(adapter: Adapter, packet: unknown): Array<string | Buffer> {
  return (adapter as unknown as AdapterInternals).encoder.encode(packet);
}

/** Writes pre-encoded packets to each socket a broadcast reaches that is not on a WebSocket (adapter `apply`, socket `client.writeToEngine`). */
export function writeToPollingSockets(adapter: Adapter, opts: Parameters<Adapter["broadcast"]>[1], encoded: Array<string | Buffer>): void {
  const flags = opts.flags ?? {};
  (adapter as unknown as AdapterInternals).apply(opts, (socket) => {
    if (transportOf(socket.conn).name !== "websocket") socket.client.writeToEngine(encoded, { preEncoded: true, volatile: flags.volatile, compress: flags.compress });
  });
}

type WebSocketLike = { readyState?: number; terminate?: () => void; close?: () => void; getBufferedAmount?: () => number };
type ConnWithTransport = { transport?: { name: string; socket?: WebSocketLike } };
type EngineClients = { clients?: Record<string, ConnWithTransport> };

/** WebSockets of this node's Engine.IO connections (engine `clients`) and of `closing` (engine.io forgets a connection told to close while its close handshake still runs). */
function webSocketsOf(io: RealtimeServer, closing: Iterable<unknown>): WebSocketLike[] {
  const engineClients = Object.values((io.engine as unknown as EngineClients | undefined)?.clients ?? {});
  const sockets = new Set<WebSocketLike>();
  for (const conn of [...(closing as Iterable<ConnWithTransport>), ...engineClients]) {
    if (conn.transport?.name === "websocket" && conn.transport.socket) sockets.add(conn.transport.socket);
  }
  return [...sockets];
}

/** True while the socket's TCP connection is open (ws `readyState` < CLOSED; a closed uWS socket throws on access). */
function isOpen(socket: WebSocketLike): boolean {
  if (typeof socket.readyState === "number") return socket.readyState !== 3;
  try {
    socket.getBufferedAmount?.();
    return true;
  } catch {
    return false;
  }
}

/** How many of those WebSockets (see `terminateWebSockets`) are still open, close handshake pending or not. */
export function openWebSockets(io: RealtimeServer, closing: Iterable<unknown> = []): number {
  return webSocketsOf(io, closing).filter(isOpen).length;
}

/**
 * Closes at once, without the close handshake, the WebSocket of every Engine.IO connection of this node
 * and of each of `closing` (transport `socket`: ws `terminate()`, uWS `close()`). For connections still
 * open when the drain grace is over: a client that never answers a close frame would otherwise hold the
 * process for ws's 30 s close timeout. Polling connections are left to `io.close()`, which answers
 * their pending requests.
 */
export function terminateWebSockets(io: RealtimeServer, closing: Iterable<unknown> = []): void {
  for (const socket of webSocketsOf(io, closing).filter(isOpen)) {
    try {
      if (typeof socket.terminate === "function") socket.terminate();
      else socket.close?.();
    } catch {
      // closed meanwhile: nothing left to close
    }
  }
}

type ClosableConn = { close(discard?: boolean): void };

/**
 * Closes every Engine.IO connection of this node at once (engine `clients`, `close(true)`: the write
 * buffer discarded, the transport closed): no packet is written first, so each connection costs its close
 * and its sockets' disconnect handlers (which run as it closes), nothing more. Connections still in their
 * Socket.IO handshake are closed too. Clients see a transport close, on which socket.io-client and the SDK
 * reconnect by themselves. Returns how many were closed.
 */
export function closeEngineConnections(io: RealtimeServer): number {
  const clients = (io.engine as unknown as { clients?: Record<string, ClosableConn> } | undefined)?.clients ?? {};
  let closed = 0;
  for (const conn of Object.values(clients)) {
    conn.close(true);
    closed++;
  }
  return closed;
}

/** The server's namespaces (`io._nsps`: `/`, `/class`, …), to walk their sockets without copying them. */
export function namespacesOf(io: RealtimeServer): Iterable<{ sockets: Map<string, RealtimeSocket> }> {
  return io._nsps.values();
}

type Duplex = { write(chunk: Buffer): boolean; writableNeedDrain?: boolean; destroyed?: boolean };
type WsConnInternals = {
  readyState?: string;
  writeBuffer?: unknown[];
  transport?: { name: string; perMessageDeflate?: unknown; socket?: { readyState?: number; _socket?: Duplex; _sender?: unknown } };
};

/**
 * The TCP stream under a socket's WebSocket on the ws engine, when a frame written to it now lands in
 * order after everything Engine.IO already sent (engine `readyState` "open", an empty `writeBuffer`, the
 * ws `readyState` OPEN, no per-message deflate); else undefined (write through Engine.IO instead).
 * Relies on engine.io 6 (`conn.transport.socket` is the ws WebSocket) and ws 8 (`_socket`, and `_sender`
 * writing each frame straight to `_socket` when nothing is compressed).
 */
export function wsStreamInOrder(socket: RealtimeSocket | { conn: unknown }): Duplex | undefined {
  const conn = socket.conn as unknown as WsConnInternals;
  if (conn.readyState !== "open" || (conn.writeBuffer?.length ?? 0) > 0) return undefined;
  const transport = conn.transport;
  if (transport?.name !== "websocket" || transport.perMessageDeflate) return undefined;
  const ws = transport.socket;
  if (ws?.readyState !== 1 || !ws._sender) return undefined;
  const stream = ws._socket;
  return stream && !stream.destroyed ? stream : undefined;
}

/** A socket a broadcast reaches, as the adapter hands it out (adapter `apply`). */
export type BroadcastTarget = PollingWrite & { notifyOutgoingListeners?: (packet: unknown) => void };

/** The sockets of this node a broadcast with `opts` reaches (rooms, except), at most once each (adapter `apply`, private). */
export function broadcastTargets(adapter: Adapter, opts: Parameters<Adapter["broadcast"]>[1]): BroadcastTarget[] {
  const out: BroadcastTarget[] = [];
  (adapter as unknown as { apply(opts: unknown, each: (socket: BroadcastTarget) => void): void }).apply(opts, (socket) => out.push(socket));
  return out;
}

/** Whether a socket has `onAnyOutgoing` listeners (socket `_anyOutgoingListeners`, private). */
export function hasOutgoingListeners(target: BroadcastTarget): boolean {
  const listeners = (target as unknown as { _anyOutgoingListeners?: unknown[] })._anyOutgoingListeners;
  return (listeners?.length ?? 0) > 0;
}

type Handshake = RealtimeSocket["handshake"];
const NO_HEADERS: Handshake["headers"] = Object.freeze({});
const NO_QUERY: Handshake["query"] = Object.freeze({});
/**
 * What an Engine.IO connection keeps as its request once released (`releaseRequest`): Socket.IO reads a
 * connection's request again only to build the handshake of a namespace joined later (headers, url,
 * `_query`, `connection.encrypted`; the node serves plain HTTP behind its proxy, so `encrypted` is false).
 */
const RELEASED_REQUEST = Object.freeze({ headers: NO_HEADERS, url: "", _query: NO_QUERY, connection: Object.freeze({ encrypted: false }) });

/** A handshake without the request's headers, URL and query; `time` is derived from `issued` (the same string Socket.IO builds). */
class ReleasedHandshake {
  readonly headers = NO_HEADERS;
  readonly query = NO_QUERY;
  readonly url = "";
  constructor(
    readonly address: string,
    readonly xdomain: boolean,
    readonly secure: boolean,
    readonly issued: number,
    readonly auth: Handshake["auth"],
  ) {}
  get time(): string {
    return `${new Date(this.issued)}`;
  }
  /** As JSON (the adapter's `fetchSockets` sends handshakes between nodes): the same fields, `time` included. */
  toJSON(): Handshake {
    return { headers: this.headers, time: this.time, address: this.address, xdomain: this.xdomain, secure: this.secure, issued: this.issued, url: this.url, query: this.query, auth: this.auth };
  }
}

/**
 * Releases what a connected socket no longer needs of its HTTP upgrade: the Engine.IO connection's request
 * (on uWS its request wrapper, the header object and strings: 0.7 KB of live heap per socket at 15,000,
 * BENCHMARKS.md) and the handshake's copies of the headers, URL and query. The node reads none of them after
 * the handshake (the principal, the address and `issued` are what it keeps). The remote address stays
 * (Engine.IO caches it on the connection). On Node http, engine.io 6.6 also keeps the IncomingMessage
 * through the upgrade's `WebSocketResponse`: its `close` listener on the TCP socket (there for HTTP
 * middlewares, which upgrades skip here: skipMiddlewaresOnUpgrades) holds the response and the request for
 * the connection's life; that listener is removed too. Call once the socket is connected.
 */
export function releaseRequest(socket: RealtimeSocket): void {
  const h = socket.handshake;
  (socket.conn as unknown as { request: unknown }).request = RELEASED_REQUEST;
  (socket as unknown as { handshake: Handshake | ReleasedHandshake }).handshake = new ReleasedHandshake(h.address, h.xdomain, h.secure, h.issued, h.auth);
  const tcp = (socket.conn as unknown as { transport?: { socket?: { _socket?: EventEmitter } } }).transport?.socket?._socket; // ws engine only
  for (const listener of tcp?.listeners("close") ?? []) if (String(listener) === ENGINE_RESPONSE_CLOSE) tcp?.removeListener("close", listener as (...args: unknown[]) => void);
}

/** The source of engine.io's `WebSocketResponse` close listener (engine.io/build/server.js), which only re-emits `close` on the response. */
const ENGINE_RESPONSE_CLOSE = '() => this.emit("close")';
