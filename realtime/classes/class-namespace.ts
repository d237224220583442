import type { Namespace } from "socket.io";
import { classInbound, type ClassEvent, type ClassPayload, type MediaRequest } from "../../core/class-signaling";
import { AppError, ErrorCode } from "../../core/errors";
import { inbound } from "../../core/events";
import { authMiddleware } from "../auth-middleware";
import { EventDispatcher, SocketRate, socketLogger } from "../event-handler";
import { connectionQuotaMiddleware } from "../lifecycle";
import type { RealtimeServices } from "../services";
import { armExpiry, refreshToken } from "../token-lifetime";
import type { RealtimeServer, RealtimeSocket } from "../types";
import type { MediaDirectory } from "./media-directory";
import type { MediaRpc } from "./media-rpc";
import type { MediaWatch } from "./media-watch";
import { namespaceOutbox } from "./namespace-outbox";
import { orderingKeys, socketRooms } from "../../core/tenant-keys";
import type { ClassOutbox } from "../../core/class-signaling";

export interface ClassSignalingDeps {
  rpc: MediaRpc;
  directory: MediaDirectory;
  timeoutMs: number;
  /** Watches the media nodes hosting this node's sockets' classes; absent: a lost media node is noticed by failing requests only. */
  watch?: MediaWatch;
}

/** `/class` events: the class signaling requests, and `auth:refresh` as on `/` (core/events.ts). */
const classEvents = { ...classInbound, "auth:refresh": inbound["auth:refresh"] };
/** The realtime node relays the media node's answer as the ack without reading it. */
type ClassNamespaceAcks = { [E in ClassEvent]: unknown } & { "auth:refresh": { exp: number } };
/** Requests that load the class from the database (they may open its session on the media node). */
const NEEDS_CLASS = new Set<ClassEvent>(["class:capabilities", "class:join", "class:start", "class:end"]);

/**
 * The `/class` namespace on every realtime node: authenticates like `/`, validates each signaling
 * request (the dispatch of realtime/event-handler.ts, shared with `/`: same rate limit, error replies
 * and 1002 for unknown events) and forwards it to the media node hosting the class (MediaDirectory +
 * MediaRpc). The class's pushes come back through the adapter to the socket or the class's room, whichever node it is on.
 *
 * When the media node of a class a socket joined stops serving (MediaWatch), the socket is told
 * `class:rejoin` (reason `media-node-lost`) once, and its next requests for the class go to the node the
 * directory places it on now; if it disconnects before joining again, that node is told (`peer:gone`).
 */
export function registerClassNamespace(io: RealtimeServer, services: RealtimeServices, deps: ClassSignalingDeps): Namespace {
  const nsp = io.of("/class");
  nsp.use(authMiddleware(services.tokens, services.revocations));
  nsp.use(connectionQuotaMiddleware(services));
  const outbox = namespaceOutbox(nsp as unknown as Namespace);
  nsp.on("connection", (socket) => onClassSocket(socket, services, deps, outbox));
  return nsp as unknown as Namespace;
}

function onClassSocket(socket: RealtimeSocket, services: RealtimeServices, deps: ClassSignalingDeps, outbox: ClassOutbox): void {
  const { tenant, user } = socket.data.principal;
  const rate = new SocketRate(services.options.perSocketEventsPerSecond);
  /** Classes this socket joined → the media node hosting each. */
  const joined = new Map<string, string>();
  /** The watch of each joined class's media node. */
  const unwatch = new Map<string, () => void>();
  /** Classes whose media node was lost and that this socket has not joined again yet. */
  const moved = new Set<string>();
  const unwatchClass = (classId: string): void => {
    unwatch.get(classId)?.();
    unwatch.delete(classId);
  };
  const watchClass = (classId: string, node: string): void => {
    unwatchClass(classId);
    const watch = deps.watch;
    if (!watch) return;
    unwatch.set(
      classId,
      watch.watch(node, () => {
        unwatch.delete(classId);
        if (joined.get(classId) !== node) return;
        joined.delete(classId);
        moved.add(classId);
        outbox.toPeer(socket.id, "class:rejoin", { classId, reason: "media-node-lost" });
      }),
    );
  };
  // read per request: auth:refresh may change the role (never the user or tenant)
  const caller = () => ({ user, staff: socket.data.principal.role !== "student", socketId: socket.id, node: services.nodeId });
  armExpiry(socket);
  // the user's room in this namespace: a revocation disconnects the user's class sockets through it
  void socket.join(socketRooms.user(tenant, user));

  const forward = async (op: ClassEvent, payload: ClassPayload<ClassEvent>): Promise<unknown> => {
    const { classId } = payload;
    const request: MediaRequest = { op, tenant, classId, caller: caller(), payload };
    if (NEEDS_CLASS.has(op)) {
      const found = await services.stores.classes.get(tenant, classId);
      if (!found) throw new AppError(ErrorCode.NotFound, "no such class");
      if (found.endedAt) throw new AppError(ErrorCode.ClassEnded, "the class has ended");
      request.klass = { teacher: found.teacher, startedAt: found.startedAt, endedAt: found.endedAt };
    }
    const key = orderingKeys.class(tenant, classId);
    const node = joined.get(classId) ?? (await deps.directory.locate(key));
    const room = socketRooms.class(tenant, classId);
    if (op === "class:join") await socket.join(room);
    try {
      const result = await deps.rpc.call(node, request, deps.timeoutMs);
      if (op === "class:join") {
        if (joined.get(classId) !== node) watchClass(classId, node);
        joined.set(classId, node);
        moved.delete(classId);
      }
      if (op === "class:leave") {
        joined.delete(classId);
        moved.delete(classId);
        unwatchClass(classId);
        await socket.leave(room);
      }
      if (op === "class:end") await deps.directory.forget(key);
      return result;
    } catch (err) {
      if (op === "class:join" && !joined.has(classId) && !moved.has(classId)) await socket.leave(room);
      // the class's node stopped serving: probe it now (the watch then moves the class)
      if (err instanceof AppError && err.code === ErrorCode.MediaUnavailable && joined.get(classId) === node) void deps.watch?.suspect(node);
      throw err;
    }
  };

  const dispatcher = new EventDispatcher<typeof classEvents, ClassNamespaceAcks>(socket, classEvents, { rate, metrics: services.metrics, log: services.log });
  for (const op of Object.keys(classInbound) as ClassEvent[]) dispatcher.on(op, (payload) => forward(op, payload));
  dispatcher.on("auth:refresh", ({ token }) => refreshToken(socket, services, token));
  socket.once("disconnect", () => {
    void services.quotas.releaseConnection(tenant, socket.id).catch(() => undefined);
    for (const off of unwatch.values()) off();
    const gone = (classId: string, node: Promise<string>): void => {
      node
        .then((n) => deps.rpc.call(n, { op: "peer:gone", tenant, classId, caller: caller(), payload: { classId } }, deps.timeoutMs))
        .catch((err: unknown) => socketLogger(services.log, socket).error({ err, classId }, "class: leaving on disconnect failed"));
    };
    for (const [classId, node] of joined) gone(classId, Promise.resolve(node));
    // a class that moved while this socket was away from it: its new node holds the socket's attendance
    for (const classId of moved) gone(classId, deps.directory.locate(orderingKeys.class(tenant, classId)));
  });
}
