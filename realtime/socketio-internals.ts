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

/** Refuses every new Engine.IO handshake with `reason` (engine `opts.allowRequest`). No-op before attach. */
export function refuseHandshakes(io: RealtimeServer, reason: string): void {
  const engine = engineOf(io);
  if (engine) engine.opts.allowRequest = (_req, cb) => cb(reason, false);
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

/** Bytes waiting in a socket's send path, for either engine (ws `bufferedAmount`, uWS `getBufferedAmount`) and transport. */
export function bufferedBytes(socket: RealtimeSocket): number {
  const conn = socket.conn as unknown as ConnInternals;
  const raw = conn.transport?.socket;
  let bytes = typeof raw?.bufferedAmount === "number" ? raw.bufferedAmount : (raw?.getBufferedAmount?.() ?? 0);
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
