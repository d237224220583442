import type { ExtendedError } from "socket.io";
import { newEvent, toRecord } from "../core/contracts/streams";
import { toAppError } from "../core/errors";
import { inbound, type AckOf } from "../core/events";
import { errorFields, type Logger } from "../core/log";
import { toNotificationDelivery } from "../core/notification-delivery";
import { EventDispatcher, SocketRate, socketLogger } from "./event-handler";
import { registerAccountHandlers } from "./handlers/account";
import { armExpiry } from "./token-lifetime";
import { registerChatHandlers } from "./handlers/chat";
import { maybeWarn, type HandlerContext } from "./handlers/context";
import { registerModerationHandlers } from "./handlers/moderation";
import { announceLeft, announcePresence, registerPresenceHandlers } from "./handlers/presence";
import { registerRoomHandlers } from "./handlers/rooms";
import type { QuotaUse } from "./quotas";
import type { MessagePublisher } from "./room-messages";
import type { BacklogLoader } from "./backlog-loader";
import type { RoomLookup } from "./room-lookup";
import type { ConversationLookup } from "./conversation-lookup";
import type { RecoveryReads } from "./recovery-reads";
import type { RealtimeServices } from "./services";
import type { RealtimeServer, RealtimeSocket } from "./types";
import { socketRooms } from "../core/tenant-keys";

/** Background work of a socket: a failure is logged with the socket's tenant, user and id (logger built only then). */
function fireAndForget(log: Logger, socket: RealtimeSocket, what: string, work: Promise<unknown>): void {
  work.catch((err: unknown) => socketLogger(log, socket).error({ ...errorFields(err), what }, `realtime: ${what} failed`));
}

/** Handshake step after auth: the tenant's connection quota (a lease per socket); refusal is 3001. */
export function connectionQuotaMiddleware(services: RealtimeServices) {
  return (socket: RealtimeSocket, next: (err?: ExtendedError) => void): void => {
    const { tenant, user } = socket.data.principal;
    socket.data.session = { tenant, user, sessionId: socket.id };
    services.quotas.acquireConnection(tenant, socket.id).then(
      (use) => {
        (socket as unknown as { quotaUse?: QuotaUse }).quotaUse = use;
        next();
      },
      (err: unknown) => {
        const e = toAppError(err);
        services.metrics.quotaRefusals.inc({ quota: "connections" });
        next(Object.assign(new Error(e.message), { data: e.toBody() }));
      },
    );
  };
}

/** Sets up a connected socket: presence, its user room, handlers, expiry, missed notifications; and its teardown. */
export function onConnection(io: RealtimeServer, services: RealtimeServices, node: { publisher: MessagePublisher; rooms: RoomLookup; conversations: ConversationLookup; reads: RecoveryReads; backlog: BacklogLoader }, socket: RealtimeSocket): void {
  const { tenant, user, role } = socket.data.principal;
  const session = socket.data.session;
  const rate = new SocketRate(services.options.perSocketEventsPerSecond);
  const dispatcher = new EventDispatcher<typeof inbound, AckOf>(socket, inbound, { rate, metrics: services.metrics, log: services.log });
  const ctx: HandlerContext = { io, socket, services, publisher: node.publisher, rooms: node.rooms, conversations: node.conversations, reads: node.reads, rate, on: (event, handler) => dispatcher.on(event, handler) };
  const { log } = services;
  registerRoomHandlers(ctx);
  registerModerationHandlers(ctx);
  registerChatHandlers(ctx);
  registerPresenceHandlers(ctx);
  registerAccountHandlers(ctx);
  armExpiry(socket);
  void socket.join(socketRooms.user(tenant, user));
  services.metrics.realtimeConnections.inc({ tenant });
  const quotaUse = (socket as unknown as { quotaUse?: QuotaUse }).quotaUse;
  if (quotaUse) maybeWarn(ctx, quotaUse);

  const connected = services.presence.connect(session, services.nodeId).then(({ cameOnline }) => {
    if (cameOnline) announcePresence(io, tenant, user, "online");
  });
  // a failed presence write is retried on the node's next heartbeats (realtime/maintenance.ts), not dropped:
  // else the user reads offline for as long as this connection lasts
  const ready = connected.catch(() => {
    socket.data.presenceLost = true;
  });
  socket.data.ready = ready;
  fireAndForget(log, socket, "presence connect", connected);
  fireAndForget(log, socket, "session event", services.sessionEvents.add(toRecord("presence", newEvent("presence.session.started", tenant, { sessionId: socket.id, user, role, node: services.nodeId }))));
  fireAndForget(
    log,
    socket,
    "notification backlog",
    node.backlog.load(tenant, user).then(({ items, unread }) => {
      socket.emit("notification:backlog", {
        unread,
        notifications: items.map((n) => toNotificationDelivery({ id: n.id, at: n.createdAt, data: { users: [user], feed: n.feed ?? undefined, title: n.title, body: n.body, data: n.data ?? undefined } })),
      });
    }),
  );

  socket.once("disconnect", () => {
    services.metrics.realtimeConnections.dec({ tenant });
    fireAndForget(log, socket, "quota release", services.quotas.releaseConnection(tenant, socket.id));
    fireAndForget(
      log,
      socket,
      "presence disconnect",
      ready.then(async () => {
        // also when the connect write failed: a retry may have registered the session since
        const { wentOffline, leftRooms } = await services.presence.disconnect(session);
        for (const room of leftRooms) await announceLeft(io, services, tenant, room, user);
        if (wentOffline) announcePresence(io, tenant, user, "offline");
      }),
    );
    fireAndForget(log, socket, "session event", services.sessionEvents.add(toRecord("presence", newEvent("presence.session.ended", tenant, { sessionId: socket.id, user }))));
  });
}
