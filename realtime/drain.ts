import type { RealtimeServer, RealtimeSocket } from "./types";
import { openWebSockets, refuseHandshakes, terminateWebSockets } from "./socketio-internals";

export interface DrainOptions {
  /** Time to move every connection off this node, ms (keep it under the orchestrator's grace period). */
  graceMs: number;
  /** Connections are told in this many batches, spread over 80 % of the grace period with jitter. Default 10. */
  batches?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until none of the sockets has an inbound event in flight (their acks are sent), at most `maxMs`. */
async function settle(sockets: RealtimeSocket[], maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (sockets.some((s) => (s.data.inflight ?? 0) > 0) && Date.now() < deadline) await sleep(20);
}

/**
 * Moves a realtime node's clients elsewhere before it stops: new Engine.IO handshakes are refused (the
 * caller has also stopped listening and turned readiness to 503), then connections are told
 * `app:draining` in jittered batches and closed at the transport once their in-flight events are
 * answered, so the stock client reconnects on its own (through the load balancer, to another node) and
 * recovers its rooms. An ack already sent means the message was durable, so none is lost.
 * Resolves within the grace period (plus at most the 2 s an in-flight event may take to be answered):
 * WebSockets still open then (a client that never answers the close handshake) are closed hard, so
 * shutting down does not wait for the WebSocket close timeout.
 */
export async function drainRealtime(io: RealtimeServer, options: DrainOptions): Promise<{ connections: number }> {
  refuseHandshakes(io, "this node is draining; connect to another");

  const byConnection = new Map<unknown, RealtimeSocket[]>();
  for (const nsp of [io.of("/"), io.of("/class")]) {
    for (const socket of nsp.sockets.values()) {
      const list = byConnection.get(socket.conn) ?? [];
      list.push(socket as RealtimeSocket);
      byConnection.set(socket.conn, list);
    }
  }
  const connections = [...byConnection.values()];
  if (connections.length === 0) {
    terminateWebSockets(io);
    return { connections: 0 };
  }
  const batches = Math.max(1, Math.min(options.batches ?? 10, connections.length));
  const spacing = (options.graceMs * 0.8) / batches;
  const size = Math.ceil(connections.length / batches);
  const started = Date.now();
  const work: Array<Promise<void>> = [];
  for (let b = 0; b < batches; b++) {
    const jitter = (Math.random() - 0.5) * 0.5 * spacing;
    const at = Math.max(0, b * spacing + jitter);
    await sleep(Math.max(0, started + at - Date.now()));
    for (const sockets of connections.slice(b * size, (b + 1) * size)) {
      work.push(
        (async () => {
          for (const s of sockets) if (s.nsp.name === "/") s.emit("app:draining", { reason: "node shutting down: reconnect" });
          await settle(sockets, 2_000);
          sockets[0]?.conn.close();
        })(),
      );
    }
  }
  await Promise.all(work);
  // a WebSocket whose close handshake is still unanswered at the end of the grace is closed hard
  const told = [...byConnection.keys()];
  while (openWebSockets(io, told) > 0 && Date.now() < started + options.graceMs) await sleep(20);
  terminateWebSockets(io, told);
  return { connections: connections.length };
}
