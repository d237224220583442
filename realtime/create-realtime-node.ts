import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import type { TokenService } from "../core/auth";
import type { RealtimeOptions } from "../core/config";
import { authMiddleware } from "./auth-middleware";
import { userRoomOf } from "./fanout/socket-fanout";
import { rejectUnknownEvents } from "./event-handler";
import { registerRoomHandlers, roomEvents } from "./room-handlers";
import type { RoomMessagePublisher } from "./room-messages";
import type { RealtimeServer } from "./types";

export interface RealtimeNodeDeps {
  tokens: TokenService;
  publisher: RoomMessagePublisher;
  /** Publisher and subscriber connections for @socket.io/redis-adapter; absent → single-node adapter. */
  adapter?: { pub: Redis; sub: Redis; key: string };
}

export interface RealtimeNode {
  io: RealtimeServer;
  close(): Promise<void>;
}

/** A Socket.IO node on `httpServer` at /socket.io: auth, tenant-scoped rooms, validated events. */
export function createRealtimeNode(httpServer: HttpServer, options: RealtimeOptions, deps: RealtimeNodeDeps): RealtimeNode {
  const io: RealtimeServer = new Server(httpServer, {
    path: "/socket.io",
    maxHttpBufferSize: options.maxHttpBufferSize,
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    serveClient: false,
    cors: { origin: true, credentials: true },
  });
  if (deps.adapter) io.adapter(createAdapter(deps.adapter.pub, deps.adapter.sub, { key: deps.adapter.key }));
  io.use(authMiddleware(deps.tokens));
  io.on("connection", (socket) => {
    const { tenant, user } = socket.data.principal;
    void socket.join(userRoomOf(tenant, user));
    registerRoomHandlers(socket, { publisher: deps.publisher, maxMessageBytes: options.maxMessageBytes });
    rejectUnknownEvents(socket, roomEvents);
  });
  return {
    io,
    close: () =>
      new Promise<void>((resolve) => {
        io.disconnectSockets(true);
        void io.close(() => resolve());
      }),
  };
}
