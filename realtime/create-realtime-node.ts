import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import { authMiddleware } from "./auth-middleware";
import { applyKick } from "./handlers/moderation";
import { connectionQuotaMiddleware, onConnection } from "./lifecycle";
import { LoadGuard } from "./load-guard";
import { maintenanceDuty } from "./maintenance";
import { NodeHeartbeat } from "./node-liveness";
import { MessagePublisher } from "./room-messages";
import { RoomLookup } from "./room-lookup";
import { BacklogLoader } from "./backlog-loader";
import type { RealtimeServices } from "./services";
import type { RealtimeServer } from "./types";

/** Unread notifications sent to each new connection (newest first), with the unread count. */
const NOTIFICATION_BACKLOG = 50;

export interface RealtimeNode {
  /** Not yet attached: call `io.attach(httpServer)` (ws engine) or `io.attachApp(uwsApp)` (uWS engine). */
  io: RealtimeServer;
  /** The node's heartbeat (node-liveness.ts): other parts of the process add their periodic duties to it. */
  heartbeat: NodeHeartbeat;
  close(): Promise<void>;
}

/**
 * A Socket.IO node: auth and connection quota at the handshake, presence, tenant-scoped rooms, chat,
 * moderation, recovery, validated events with numbered errors, and the node's periodic duties.
 */
export function createRealtimeNode(services: RealtimeServices, adapter?: { pub: Redis; sub: Redis; key: string }): RealtimeNode {
  const { options } = services;
  const io: RealtimeServer = new Server({
    path: "/socket.io",
    maxHttpBufferSize: options.maxHttpBufferSize,
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    serveClient: false,
    cors: { origin: true, credentials: true },
  });
  if (adapter) io.adapter(createAdapter(adapter.pub, adapter.sub, { key: adapter.key }));
  const guard = new LoadGuard(options.overloadLagMs, (overloaded) => {
    services.metrics.nodeOverloaded.set(overloaded ? 1 : 0);
    if (overloaded) services.log.warn({ code: 5005 }, "realtime: over capacity: refusing messages with 5005");
    else services.log.info("realtime: back under capacity");
  });
  const publisher = new MessagePublisher(services.bus, services.sequences, services.history, guard, services.log);
  const shared = { publisher, rooms: new RoomLookup(services.stores.rooms), backlog: new BacklogLoader(services.stores.notifications, NOTIFICATION_BACKLOG) };
  io.use(authMiddleware(services.tokens, services.revocations));
  io.use(connectionQuotaMiddleware(services));
  io.on("connection", (socket) => onConnection(io, services, shared, socket));
  io.on("kick", (info) => void applyKick(io, info, services).catch((err: unknown) => services.log.error({ err, tenant: info.tenant, user: info.user }, "realtime: kick failed")));
  const heartbeat = new NodeHeartbeat((duty, err) => services.log.error({ err, duty }, "realtime: heartbeat duty failed"));
  heartbeat.add("maintenance", maintenanceDuty(io, services));
  heartbeat.start();
  return {
    io,
    heartbeat,
    close: async () => {
      heartbeat.stop();
      guard.stop();
      const sockets = [...io.of("/").sockets.values()];
      io.local.disconnectSockets(true); // this node's only: `io.disconnectSockets` would reach every node through the adapter
      await Promise.allSettled(sockets.map((s) => services.presence.disconnect(s.data.session)));
      await new Promise<void>((resolve) => void io.close(() => resolve()));
    },
  };
}
