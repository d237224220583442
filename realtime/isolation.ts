import { allowHandshakes, refuseHandshakes } from "./socketio-internals";
import type { RealtimeServer } from "./types";

/**
 * A node cut off from the cluster's shared state (its liveness beat has not reached Redis for
 * ISOLATED_AFTER_MS, realtime/node-liveness.ts) stops serving instead of splitting presence and rooms:
 * new handshakes are refused and every socket of every namespace is told `app:draining` and closed at
 * once (the others reap its presence anyway), so clients reconnect through the balancer to a node that
 * still reaches Redis and recover with `since`. The caller also stops listening and turns readiness to 503.
 * Returns how many sockets were closed.
 */
export function isolateRealtime(io: RealtimeServer): number {
  refuseHandshakes(io, "this node lost the cluster's shared state; connect to another");
  let closed = 0;
  for (const nsp of [io.of("/"), io.of("/class")]) {
    for (const socket of [...nsp.sockets.values()]) {
      socket.emit("app:draining", { reason: "isolated" });
      socket.disconnect(true);
      closed++;
    }
  }
  return closed;
}

/** The node reaches the shared state again: new handshakes are admitted. */
export function rejoinRealtime(io: RealtimeServer): void {
  allowHandshakes(io);
}
