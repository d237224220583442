import type { Server, Socket } from "socket.io";
import type { Principal } from "../core/auth";
import type { ClientToServerEvents, ServerToClientEvents } from "../core/events";

/** What the server keeps on each socket. */
export interface SocketData {
  principal: Principal;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InterServerEvents {}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
