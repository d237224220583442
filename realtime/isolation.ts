import { allowHandshakes, closeEngineConnections, refuseHandshakes } from "./socketio-internals";
import type { RealtimeServer } from "./types";

/**
 * A node cut off from the cluster's shared state (its liveness beat has not reached Redis for
 * ISOLATED_AFTER_MS, realtime/node-liveness.ts) stops serving instead of splitting presence and rooms:
 * new handshakes are refused and every connection is closed at once, with nothing written before its
 * close (the others reap its presence anyway). Each client sees its transport close, as after a crash,
 * and reconnects through the balancer to a node that still reaches Redis and recovers with `since`.
 * Until it is closed a client receives only this node's share of its rooms, so the close is as cheap as a
 * close can be: a drain's `app:draining` and Socket.IO DISCONNECT packets were two writes more per
 * socket (their sends 12 % of the loop's samples in a 2026-12-01 partition profile, the closes 16 %).
 * The caller also stops listening and turns readiness to 503. Returns how many connections were closed.
 */
export function isolateRealtime(io: RealtimeServer): number {
  refuseHandshakes(io, "this node lost the cluster's shared state; connect to another");
  return closeEngineConnections(io);
}

/** The node reaches the shared state again: new handshakes are admitted. */
export function rejoinRealtime(io: RealtimeServer): void {
  allowHandshakes(io);
}
