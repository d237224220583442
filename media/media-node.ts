import type { types } from "mediasoup";
import type { ClassOutbox, ClassPayload, MediaRequest } from "../core/class-signaling";
import type { MediaOptions } from "../core/config";
import type { EventBus } from "../core/bus/event-bus";
import { newEvent, publishEvents } from "../core/contracts/streams";
import { orderingKeys } from "../core/tenant-keys";
import { AppError, ErrorCode } from "../core/errors";
import { ClassMedia, type ClassMediaEvents } from "./class-media";
import { ClassSession } from "./class-session";
import { MediaWorkerPool } from "./worker-pool";

export interface MediaNodeDeps {
  options: MediaOptions;
  outbox: ClassOutbox;
  bus: EventBus;
  /** Persists a class's start or end. */
  lifecycle(tenant: string, classId: string, kind: "started" | "ended", at: Date): Promise<void>;
}

/** How long a class with nobody in it keeps its router (and its roles, hands and removals). */
const EMPTY_CLASS_GRACE_MS = 60_000;

/**
 * The classes hosted by this media node: a mediasoup worker pool, one ClassSession per live class,
 * and the dispatch of forwarded signaling requests. A dead worker's classes are told to rejoin.
 */
export class MediaNode {
  private readonly sessions = new Map<string, Promise<ClassSession>>();
  private readonly idle = new Map<string, NodeJS.Timeout>();
  private readonly pool: MediaWorkerPool;

  private constructor(private readonly deps: MediaNodeDeps) {
    this.pool = new MediaWorkerPool(deps.options, (worker) => void this.onWorkerDied(worker));
  }

  static async start(deps: MediaNodeDeps): Promise<MediaNode> {
    const node = new MediaNode(deps);
    await node.pool.start();
    return node;
  }

  get workers(): readonly types.Worker[] {
    return this.pool.list();
  }

  /** Classes currently open here, and the routers they use (metrics, tests). */
  async stats(): Promise<{ classes: number; routers: number }> {
    const sessions = await Promise.all([...this.sessions.values()].map((s) => s.catch(() => undefined)));
    return { classes: sessions.length, routers: sessions.reduce((n, s) => n + (s?.media.routerCount() ?? 0), 0) };
  }

  /** The workers a class's routers run on (empty when it is not open here). */
  async workersOf(tenant: string, classId: string): Promise<types.Worker[]> {
    const s = await this.sessions.get(this.key(tenant, classId))?.catch(() => undefined);
    return s?.media.workers() ?? [];
  }

  private key(tenant: string, classId: string): string {
    return orderingKeys.class(tenant, classId);
  }

  private open(req: MediaRequest): Promise<ClassSession> {
    const key = this.key(req.tenant, req.classId);
    const existing = this.sessions.get(key);
    if (existing) return existing;
    const klass = req.klass;
    if (!klass) return Promise.reject(new AppError(ErrorCode.NotInClass, "join the class first"));
    if (klass.endedAt) return Promise.reject(new AppError(ErrorCode.ClassEnded, "the class has ended"));
    const { tenant, classId } = req;
    const outbox = this.deps.outbox;
    const events: ClassMediaEvents = {
      newConsumer: (peer, consumer) => outbox.toPeer(peer, "media:newConsumer", { classId, consumer }),
      consumerClosed: (peer, consumerId) => outbox.toPeer(peer, "media:consumerClosed", { classId, consumerId }),
      consumerPaused: (peer, consumerId, paused) => outbox.toPeer(peer, "media:consumerPaused", { classId, consumerId, paused }),
      activeSpeaker: (producerId, user) => outbox.toClass(tenant, classId, "media:activeSpeaker", { classId, user, producerId }),
      score: (peer, kind, id, score) => outbox.toPeer(peer, "media:score", { classId, kind, id, score }),
    };
    const session = ClassMedia.open(this.pool, this.deps.options, events).then(
      (media) =>
        new ClassSession(tenant, classId, klass.teacher, klass.startedAt, media, {
          outbox,
          attendance: (user, kind) => publishEvents(this.deps.bus, "attendance", [newEvent("class.attendance", tenant, { classId, user, kind })]),
          lifecycle: (kind, at) => this.deps.lifecycle(tenant, classId, kind, at),
        }),
    );
    this.sessions.set(key, session);
    session.catch(() => this.sessions.delete(key));
    return session;
  }

  private async existing(req: MediaRequest): Promise<ClassSession> {
    const session = this.sessions.get(this.key(req.tenant, req.classId));
    if (!session) throw new AppError(ErrorCode.NotInClass, "join the class first");
    return session;
  }

  /** Runs one forwarded request; errors are AppErrors with numbered codes. */
  async handle(req: MediaRequest): Promise<unknown> {
    const { caller } = req;
    const key = this.key(req.tenant, req.classId);
    const p: unknown = req.payload;
    switch (req.op) {
      case "class:capabilities":
        return { rtpCapabilities: (await this.open(req)).media.rtpCapabilities };
      case "class:join": {
        const session = await this.open(req);
        clearTimeout(this.idle.get(key));
        this.idle.delete(key);
        return session.join(caller, (p as ClassPayload<"class:join">).rtpCapabilities as types.RtpCapabilities);
      }
      case "class:leave":
      case "peer:gone": {
        const session = this.sessions.get(key);
        if (!session) return { classId: req.classId };
        const s = await session;
        await s.leave(caller.user, caller.socketId);
        if (s.empty && !this.idle.has(key)) this.idle.set(key, setTimeout(() => void this.closeSession(key, s), EMPTY_CLASS_GRACE_MS).unref());
        return { classId: req.classId };
      }
      case "class:start":
        return (await this.open(req)).start(caller);
      case "class:end": {
        const s = await this.open(req);
        const ended = await s.end(caller);
        this.sessions.delete(key);
        return ended;
      }
      default:
        return this.handleMedia(await this.existing(req), req);
    }
  }

  private async handleMedia(s: ClassSession, req: MediaRequest): Promise<unknown> {
    const { caller } = req;
    const p: unknown = req.payload;
    const member = (): void => void s.controlGuard(caller);
    switch (req.op) {
      case "transport:create":
        member();
        return s.media.createTransport(caller.socketId, (p as ClassPayload<"transport:create">).direction);
      case "transport:connect": {
        member();
        const q = p as ClassPayload<"transport:connect">;
        await s.media.connectTransport(caller.socketId, q.transportId, q.dtlsParameters as types.DtlsParameters);
        return { transportId: q.transportId };
      }
      case "transport:restartIce":
        member();
        return { iceParameters: await s.media.restartIce(caller.socketId, (p as ClassPayload<"transport:restartIce">).transportId) };
      case "producer:create":
        return { producerId: await s.produce(caller, p as ClassPayload<"producer:create">) };
      case "producer:pause":
      case "producer:resume":
      case "producer:close":
      case "producer:mute": {
        const { producerId } = p as ClassPayload<"producer:pause">;
        await s.controlProducer(caller, producerId, req.op.slice("producer:".length) as "pause");
        return { producerId };
      }
      case "consumer:resume": {
        member();
        const { consumerId } = p as ClassPayload<"consumer:resume">;
        await s.media.resumeConsumer(caller.socketId, consumerId);
        return { consumerId };
      }
      case "consumer:setPreferredLayers": {
        member();
        const q = p as ClassPayload<"consumer:setPreferredLayers">;
        await s.media.setPreferredLayers(caller.socketId, q.consumerId, { spatialLayer: q.spatialLayer, temporalLayer: q.temporalLayer });
        return { consumerId: q.consumerId };
      }
      case "hand:raise":
        return { hands: s.raiseHand(caller) };
      case "hand:lower":
        return { hands: s.lowerHand(caller, (p as ClassPayload<"hand:lower">).user) };
      case "hand:acknowledge":
        return { hands: s.acknowledgeHand(caller, (p as ClassPayload<"hand:acknowledge">).user) };
      case "participant:promote":
        return s.promote(caller, (p as ClassPayload<"participant:promote">).user);
      case "participant:demote":
        return s.demote(caller, (p as ClassPayload<"participant:demote">).user);
      case "participant:remove": {
        const { user } = p as ClassPayload<"participant:remove">;
        await s.remove(caller, user);
        return { user };
      }
      default:
        throw new AppError(ErrorCode.UnknownEvent, `unknown class operation "${req.op}"`);
    }
  }

  private async closeSession(key: string, s: ClassSession): Promise<void> {
    this.idle.delete(key);
    if (!s.empty || (await this.sessions.get(key)) !== s) return;
    this.sessions.delete(key);
    s.media.close();
  }

  private async onWorkerDied(worker: types.Worker): Promise<void> {
    for (const [key, pending] of [...this.sessions]) {
      const s = await pending.catch(() => undefined);
      if (!s?.media.usesWorker(worker)) continue;
      this.sessions.delete(key);
      this.deps.outbox.toClass(s.tenant, s.classId, "class:rejoin", { classId: s.classId, reason: "the media worker of this class failed; join again" });
      await s.disband().catch((err: unknown) => console.error("[media] disbanding a class failed:", err));
    }
  }

  async close(): Promise<void> {
    for (const t of this.idle.values()) clearTimeout(t);
    for (const s of this.sessions.values()) (await s.catch(() => undefined))?.media.close();
    this.sessions.clear();
    this.pool.close();
  }
}
