import type { ConnectStages } from "../core/metrics/connect-stages";
import type { RealtimeServer, RealtimeSocket } from "./types";

/**
 * The connect stages that span Socket.IO's own steps (core/metrics/connect-stages.ts), only with stage
 * timing on: `handshake` from the Engine.IO connection's open to the auth middleware's start, `admitted`
 * from there to the connection handler. Entries are taken when observed (weak maps: a connect that never
 * gets that far leaves nothing behind).
 */

/** When each Engine.IO connection opened (`timeEngineOpens`). */
const engineOpens = new WeakMap<object, number>();
/** When each socket's admission began. */
const admissionStarts = new WeakMap<RealtimeSocket, number>();

/**
 * Notes when each Engine.IO connection opens (a listener added ahead of Socket.IO's own when the engine is
 * bound, whichever engine attaches it).
 */
export function timeEngineOpens(io: RealtimeServer): void {
  const bind = io.bind.bind(io);
  io.bind = (engine) => {
    (engine as unknown as { on(event: "connection", listener: (conn: object) => void): void }).on("connection", (conn) => engineOpens.set(conn, performance.now()));
    return bind(engine);
  };
}

/** At the auth middleware's start: observes `handshake` and starts `admitted`. */
export function admissionStarted(stages: ConnectStages, socket: RealtimeSocket): void {
  const now = performance.now();
  admissionStarts.set(socket, now);
  const opened = engineOpens.get(socket.conn);
  engineOpens.delete(socket.conn);
  if (opened !== undefined) stages.observe("handshake", now - opened);
}

/** At the connection handler: observes `admitted`. */
export function admitted(stages: ConnectStages, socket: RealtimeSocket): void {
  const started = admissionStarts.get(socket);
  admissionStarts.delete(socket);
  if (started !== undefined) stages.observe("admitted", performance.now() - started);
}
