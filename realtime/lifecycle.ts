import type { ExtendedError } from "socket.io";
import { sessionEndedRecord, sessionStartedRecord } from "../core/contracts/session-records";
import { toAppError } from "../core/errors";
import { inbound, type AckOf } from "../core/events";
import { errorFields, type Logger } from "../core/log";
import { toNotificationDelivery } from "../core/notification-delivery";
import { EventDispatcher, SocketRate, lazySocketDispatch, socketLogger } from "./event-handler";
import { registerAccountHandlers } from "./handlers/account";
import { armExpiry, disarmExpiry } from "./token-lifetime";
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
import { sharedAnyListeners } from "./socketio-internals";
import { admitted } from "./connect-timing";
import { timedStage } from "../core/metrics/connect-stages";
import type { InFlight } from "./in-flight";

/** Background work of a socket: a failure is logged with the socket's tenant, user and id (logger built only then). */
function fireAndForget(log: Logger, socket: RealtimeSocket, what: string, work: Promise<unknown>): void {
  work.catch((err: unknown) => socketLogger(log, socket).error({ ...errorFields(err), what }, `realtime: ${what} failed`));
}

/** The connection quota reading of a socket between its handshake and its connection (warned then). */
const quotaUses = new WeakMap<RealtimeSocket, QuotaUse>();

/** Handshake step after auth: the tenant's connection quota (a lease per socket); refusal is 3001. */
export function connectionQuotaMiddleware(services: RealtimeServices) {
  return (socket: RealtimeSocket, next: (err?: ExtendedError) => void): void => {
    const { tenant, user } = socket.data.principal;
    socket.data.session = { tenant, user, sessionId: socket.id };
    timedStage(services.connectStages, "quota", () => services.quotas.acquireConnection(tenant, socket.id)).then(
      (use) => {
        quotaUses.set(socket, use);
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

/**
 * A node's connection handler: sets up a connected socket (presence, its user room, expiry, missed
 * notifications, its teardown). Nothing here is allocated per socket beyond its state: the event
 * listener and the disconnect listener are one function each per node (called with the socket as
 * `this`), and a socket's handlers, rate counter and handler context are built at its first inbound
 * event (lazySocketDispatch), so an idle socket holds no closures of ours.
 */
export function connectionHandler(io: RealtimeServer, services: RealtimeServices, node: { publisher: MessagePublisher; rooms: RoomLookup; conversations: ConversationLookup; reads: RecoveryReads; backlog: BacklogLoader; disconnects: InFlight }): (socket: RealtimeSocket) => void {
  const { log } = services;
  const onAnyEvent = lazySocketDispatch((socket) => {
    const rate = new SocketRate(services.options.perSocketEventsPerSecond);
    const dispatcher = new EventDispatcher<typeof inbound, AckOf>(socket, inbound, { rate, metrics: services.metrics, log }, false);
    const ctx: HandlerContext = { io, socket, services, publisher: node.publisher, rooms: node.rooms, conversations: node.conversations, reads: node.reads, rate, on: (event, handler) => dispatcher.on(event, handler) };
    registerRoomHandlers(ctx);
    registerModerationHandlers(ctx);
    registerChatHandlers(ctx);
    registerPresenceHandlers(ctx);
    registerAccountHandlers(ctx);
    return dispatcher;
  });

  const listenToAny = sharedAnyListeners(onAnyEvent);

  function onDisconnect(this: RealtimeSocket): void {
    disconnected(this);
  }
  function disconnected(socket: RealtimeSocket): void {
    disarmExpiry(socket);
    const { tenant, user } = socket.data.principal;
    const session = socket.data.session;
    services.metrics.realtimeConnections.dec({ tenant });
    // tracked: a closing node waits for them before it closes Redis (realtime/in-flight.ts)
    fireAndForget(log, socket, "quota release", node.disconnects.track(services.quotas.releaseConnection(tenant, socket.id)));
    fireAndForget(
      log,
      socket,
      "presence disconnect",
      node.disconnects.track(
        (presenceConnects.get(socket) ?? Promise.resolve()).then(async () => {
          const { wentOffline, leftRooms } = await services.presence.disconnect(session);
          for (const room of leftRooms) await announceLeft(io, services, tenant, room, user);
          if (wentOffline) announcePresence(io, tenant, user, "offline");
        }),
      ),
    );
    fireAndForget(log, socket, "session event", services.sessionEvents.add(sessionEndedRecord(tenant, user, socket.id)));
  }

  const stages = services.connectStages;
  return (socket) => {
    const { tenant, user, role } = socket.data.principal;
    const session = socket.data.session;
    if (stages) admitted(stages, socket);
    listenToAny(socket);
    armExpiry(socket, false); // disarmed by onDisconnect
    void socket.join(socketRooms.user(tenant, user));
    services.metrics.realtimeConnections.inc({ tenant });
    const quotaUse = quotaUses.get(socket);
    quotaUses.delete(socket); // not kept for the socket's life
    if (quotaUse) maybeWarn({ socket, services }, quotaUse);

    // a disconnect waits for the presence connect while it is in flight, and runs also when it failed (a
    // retry may have registered the session since); a failed presence write is retried on the node's next
    // heartbeats (realtime/maintenance.ts), not dropped: else the user reads offline for as long as this
    // connection lasts
    const connected = timedStage(stages, "presence", () => services.presence.connect(session, services.nodeId)).then(({ cameOnline }) => {
      if (cameOnline) announcePresence(io, tenant, user, "online");
    });
    const ready = connected
      .catch(() => {
        socket.data.presenceLost = true;
      })
      .then(() => {
        presenceConnects.delete(socket);
        socket.data.ready = undefined; // nothing kept for the socket's life
      });
    presenceConnects.set(socket, ready);
    socket.data.ready = ready;
    fireAndForget(log, socket, "presence connect", connected);
    fireAndForget(log, socket, "session event", timedStage(stages, "session_event", () => services.sessionEvents.add(sessionStartedRecord(tenant, user, role, socket.id, services.nodeId))));
    fireAndForget(
      log,
      socket,
      "notification backlog",
      timedStage(stages, "backlog", () => node.backlog.load(tenant, user)).then((backlog) => {
        if (!backlog) return; // its batch failed, and the loader logged it once for the batch
        const { items, unread } = backlog;
        socket.emit("notification:backlog", {
          unread,
          notifications: items.map((n) => toNotificationDelivery({ id: n.id, at: n.createdAt, data: { users: [user], feed: n.feed ?? undefined, title: n.title, body: n.body, data: n.data ?? undefined } })),
        });
      }),
    );
    socket.on("disconnect", onDisconnect);
  };
}

/** Presence connects still in flight, by socket: a disconnect runs after its socket's connect settled. */
const presenceConnects = new WeakMap<RealtimeSocket, Promise<void>>();
