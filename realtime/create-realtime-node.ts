import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { corkedPublishes } from "../core/corked-publish";
import type { RedisClient } from "../core/redis-client";
import { Server } from "socket.io";
import { authMiddleware } from "./auth-middleware";
import { ConnectAdmission } from "./connect-admission";
import { timeEngineOpens } from "./connect-timing";
import { applyKick } from "./handlers/moderation";
import { connectionHandler, connectionQuotaMiddleware } from "./lifecycle";
import { LoadGuard } from "./load-guard";
import { maintenanceDuties } from "./maintenance";
import { CUT_OFF_CONFIRM_MS, LivenessWatch, NodeHeartbeat } from "./node-liveness";
import { MessagePublisher } from "./room-messages";
import { RoomLookup } from "./room-lookup";
import { ConversationLookup } from "./conversation-lookup";
import { releaseRequest } from "./socketio-internals";
import { RecoveryReads } from "./recovery-reads";
import { InFlight } from "./in-flight";
import { BacklogLoader } from "./backlog-loader";
import type { RealtimeServices } from "./services";
import type { RealtimeServer } from "./types";

/** Unread notifications sent to each new connection (newest first), with the unread count. */
const NOTIFICATION_BACKLOG = 50;
/** Backlogs asked for within this window are read by one query per school (a connect storm's ~500 connects/s make batches of ~25). */
const BACKLOG_WINDOW_MS = 50;

export interface RealtimeNode {
  /** Not yet attached: call `io.attach(httpServer)` (ws engine) or `io.attachApp(uwsApp)` (uWS engine). */
  io: RealtimeServer;
  /** The node's heartbeat (node-liveness.ts): other parts of the process add their periodic duties to it. */
  heartbeat: NodeHeartbeat;
  /** Whether the node's liveness beat still reaches the shared state (isolated: it must stop serving). */
  liveness: LivenessWatch;
  close(): Promise<void>;
}

/**
 * A Socket.IO node: auth and connection quota at the handshake, presence, tenant-scoped rooms, chat,
 * moderation, recovery, validated events with numbered errors, and the node's periodic duties.
 */
/** The Redis adapter's connections: `sharded` (a Redis Cluster) selects sharded pub/sub. */
export interface AdapterConnections {
  pub: RedisClient;
  sub: RedisClient;
  key: string;
  sharded: boolean;
}

/**
 * The Socket.IO adapter across nodes. One Redis: the classic adapter (PUBLISH / PSUBSCRIBE). A Redis
 * Cluster: the sharded adapter (Redis 7 SPUBLISH / SSUBSCRIBE: a message stays on the shard owning its
 * channel instead of crossing every cluster node) in "static" mode, one channel per namespace (plus
 * one per node for replies). Not "dynamic" (a channel per room): a node subscribes to a room's channel
 * only after a socket joined it, so a message sent right after the join's ack could reach the room's
 * channel before that subscription and be missed; one channel keeps every room's delivery, and the
 * order of everything sent on one connection (an event, then the kick disconnecting its reader).
 * Its publishes are corked (core/corked-publish.ts): what one turn of the event loop broadcasts goes to
 * Redis as one write, in order (a connect storm's `online` announcements, a burst of room messages).
 */
function redisAdapter(adapter: AdapterConnections) {
  const pub = corkedPublishes(adapter.pub);
  return adapter.sharded
    ? createShardedAdapter(pub, adapter.sub, { channelPrefix: adapter.key, subscriptionMode: "static" })
    : createAdapter(pub, adapter.sub, { key: adapter.key });
}

/** Whether no Redis node answers a PING within a second (every node of a cluster asked; no Redis: never cut off). */
async function redisCutOff(redis: RedisClient | undefined): Promise<boolean> {
  if (!redis) return false;
  const clients = "nodes" in redis ? redis.nodes("all") : [redis];
  const answers = await Promise.all(
    clients.map((c) => Promise.race([c.ping().then((r) => r === "PONG", () => false), new Promise<boolean>((r) => setTimeout(() => r(false), CUT_OFF_CONFIRM_MS).unref())])),
  );
  return !answers.includes(true);
}

/** How long a closing node waits for the presence and quota writes of its last disconnects. */
const CLOSE_WAIT_MS = 5_000;

export function createRealtimeNode(services: RealtimeServices, adapter?: AdapterConnections): RealtimeNode {
  const { options } = services;
  const admission = new ConnectAdmission({ maxPending: options.maxPendingConnects, maxWaitMs: options.connectSetupLimitMs }, () => services.metrics.handshakesRefusedBusy.inc());
  const io: RealtimeServer = new Server({
    path: "/socket.io",
    maxHttpBufferSize: options.maxHttpBufferSize,
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    serveClient: false,
    cors: { origin: true, credentials: true },
    allowRequest: admission.allowRequest,
  });
  admission.watch(io); // before any middleware: it releases a connection its middlewares refuse
  if (adapter) io.adapter(redisAdapter(adapter));
  if (services.connectStages) timeEngineOpens(io);
  const guard = new LoadGuard(options.overloadLagMs, (overloaded) => {
    services.metrics.nodeOverloaded.set(overloaded ? 1 : 0);
    if (overloaded) services.log.warn({ code: 5005 }, "realtime: over capacity: refusing messages with 5005");
    else services.log.info("realtime: back under capacity");
  });
  const publisher = new MessagePublisher(services.bus, services.sequences, services.history, guard, services.log);
  const shared = {
    publisher,
    rooms: new RoomLookup(services.stores.rooms),
    conversations: new ConversationLookup(services.stores.conversations),
    reads: new RecoveryReads(),
    backlog: new BacklogLoader(services.stores.notifications, services.log, NOTIFICATION_BACKLOG, BACKLOG_WINDOW_MS),
    disconnects: new InFlight(),
  };
  io.use(authMiddleware(services.tokens, services.revocations, services.connectStages));
  io.use(connectionQuotaMiddleware(services));
  const onConnection = connectionHandler(io, services, shared);
  io.on("connection", (socket) => {
    releaseRequest(socket);
    guard.noteConnect();
    onConnection(socket);
    // its setup ends with its presence registration (`ready` never rejects)
    void (socket.data.ready ?? Promise.resolve()).then(() => admission.settled(socket.conn));
  });
  io.on("kick", (info) => void applyKick(io, info, services).catch((err: unknown) => services.log.error({ err, tenant: info.tenant, user: info.user }, "realtime: kick failed")));
  const heartbeat = new NodeHeartbeat((duty, err) => services.log.error({ err, duty }, "realtime: heartbeat duty failed"));
  const liveness = new LivenessWatch(() => redisCutOff(adapter?.pub));
  const maintenance = maintenanceDuties(io, services, () => liveness.ok());
  heartbeat.add("presence heartbeat", maintenance.liveness, { liveness: true });
  heartbeat.add("maintenance", maintenance.upkeep);
  heartbeat.start();
  liveness.start();
  return {
    io,
    heartbeat,
    liveness,
    close: async () => {
      heartbeat.stop();
      liveness.stop();
      guard.stop();
      const sockets = [...io.of("/").sockets.values()];
      io.local.disconnectSockets(true); // this node's only: `io.disconnectSockets` would reach every node through the adapter
      await Promise.allSettled(sockets.map((s) => services.presence.disconnect(s.data.session)));
      await shared.disconnects.settled(CLOSE_WAIT_MS); // sockets a drain closed just before: their writes are still out
      await new Promise<void>((resolve) => void io.close(() => resolve()));
    },
  };
}
