import type { Server, Socket } from "socket.io";
import type { Principal } from "../core/auth";
import type { ClientToServerEvents, ServerToClientEvents } from "../core/events";
import type { SessionRef } from "./presence/presence-store";

/** What the server keeps on each socket: plain values only (another node's `fetchSockets` receives it as JSON). */
export interface SocketData {
  principal: Principal;
  session: SessionRef;
  /** Resolves once the socket's presence session is registered; handlers wait for it. */
  ready?: Promise<void>;
  /** Inbound events of this socket still being handled (a draining node waits for them before closing). */
  inflight?: number;
  /**
   * True while the socket's presence session is not known to be registered (its connect write failed, or
   * the node was reaped): the node's heartbeat registers it again until that succeeds (realtime/maintenance.ts).
   */
  presenceLost?: boolean;
}

/** Events between nodes (io.serverSideEmit through the adapter). */
export interface InterServerEvents {
  /** Every node makes its sockets of `user` leave `room` (moderation: kick). */
  kick: (info: { tenant: string; room: string; user: string; by: string }) => void;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
