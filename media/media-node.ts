import type { types } from "mediasoup";
import { mediaPayloads, type ClassOutbox, type ClassPayload, type MediaAcks, type MediaCall, type MediaOp, type MediaPayload, type MediaRequest } from "../core/class-signaling";
import type { MediaOptions } from "../core/config";
import type { EventBus } from "../core/bus/event-bus";
import { newEvent, publishEvents } from "../core/contracts/streams";
import { orderingKeys } from "../core/tenant-keys";
import { AppError, ErrorCode } from "../core/errors";
import { defaultLogger, type Logger } from "../core/log";
import { validationError } from "../core/validation";
import { ClassMedia, type ClassMediaEvents } from "./class-media";
import { ClassSession, type RecordingHandle } from "./class-session";
import { ClassRecording, type RecordingDeps, type RecordingSources } from "./class-recording";
import { MediaWorkerPool } from "./worker-pool";
import type { ClassStateStore } from "./state/class-state-store";
import { MemoryClassStateStore } from "./state/class-state-store-memory";

export interface MediaNodeDeps {
  options: MediaOptions;
  outbox: ClassOutbox;
  bus: EventBus;
  /** Persists a class's start or end. */
  lifecycle(tenant: string, classId: string, kind: "started" | "ended", at: Date): Promise<void>;
  /** Recording (class:record): storage, store, recorder limits. Absent: this node refuses to record. */
  recording?: RecordingDeps & { maxConcurrent: number; onStart?(tenant: string): void };
  /** The node's logger. Default: the process's fallback logger. */
  log?: Logger;
  /**
   * Where classes' state is kept (roles, hands, removals, mutes, recording): the Redis store in a cluster,
   * so a class moved off a dead media node resumes with it. Default: in this process (survives a worker).
   */
  state?: ClassStateStore;
}

type MediaHandler<O extends MediaOp> = (call: MediaCall<O>) => Promise<MediaAcks[O]>;
type MediaHandlers = { readonly [O in MediaOp]: MediaHandler<O> };

/** The validated wire shapes of core/class-signaling.ts as mediasoup's parameter types (which mediasoup checks again). */
const asRtpCapabilities = (c: ClassPayload<"class:join">["rtpCapabilities"]): types.RtpCapabilities => c as types.RtpCapabilities;
const asDtlsParameters = (d: ClassPayload<"transport:connect">["dtlsParameters"]): types.DtlsParameters => d as types.DtlsParameters;

/** How long a class with nobody in it keeps its router (its roles, hands and removals stay in the state store). */
const EMPTY_CLASS_GRACE_MS = 60_000;
/** How long the connections of a restored class have to join again before they leave it (attendance closed). */
export const CARRIED_GRACE_MS = 30_000;
/** A recording interrupted by a move resumes this long after the first producer is back (so camera and mic are both in). */
const RESUME_RECORDING_DELAY_MS = 1_500;

/**
 * The classes hosted by this media node: a mediasoup worker pool, one ClassSession per live class,
 * and the dispatch of forwarded signaling requests. A dead worker's classes are told to rejoin.
 */
export class MediaNode {
  private readonly sessions = new Map<string, Promise<ClassSession>>();
  private readonly idle = new Map<string, NodeJS.Timeout>();
  private readonly pool: MediaWorkerPool;
  private readonly log: Logger;
  private readonly state: ClassStateStore;
  private activeRecordings = 0;

  private constructor(private readonly deps: MediaNodeDeps) {
    this.log = deps.log ?? defaultLogger();
    this.state = deps.state ?? new MemoryClassStateStore();
    this.pool = new MediaWorkerPool(deps.options, (worker) => void this.onWorkerDied(worker), this.log);
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

  private open(req: Pick<MediaRequest, "tenant" | "classId" | "klass">): Promise<ClassSession> {
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
    const log = this.log;
    const session = Promise.all([ClassMedia.open(this.pool, this.deps.options, events), this.state.claim(tenant, classId)]).then(([media, claim]) => {
      const s: ClassSession = new ClassSession(
        tenant,
        classId,
        klass.teacher,
        klass.startedAt,
        media,
        {
          outbox,
          attendance: (user, kind) => publishEvents(this.deps.bus, "attendance", [newEvent("class.attendance", tenant, { classId, user, kind })]),
          lifecycle: (kind, at) => this.deps.lifecycle(tenant, classId, kind, at),
          startRecording: this.deps.recording ? (sources) => this.startRecording(media.mainRouter, sources, tenant, classId) : undefined,
          onRecordingError: (err) => log.error({ err, tenant, classId }, "recording: finishing a recording failed"),
          saveState: (snapshot) => this.state.save(tenant, classId, claim.epoch, snapshot),
          onStateError: (err) => log.error({ err, tenant, classId }, "class: saving the class's state failed"),
          onSuperseded: () => void this.superseded(key, s),
          dropState: () => this.state.drop(tenant, classId),
        },
        claim.snapshot,
      );
      if (claim.snapshot) this.restored(s, claim.snapshot.recording?.sessionId);
      return s;
    });
    this.sessions.set(key, session);
    session.catch(() => this.sessions.delete(key));
    return session;
  }

  /**
   * A class reopened from its stored state (moved here, or its worker died): connections that do not join
   * again within CARRIED_GRACE_MS leave it; parts of a recording interrupted on the lost node are closed.
   */
  private restored(s: ClassSession, interruptedSession: string | undefined): void {
    const { tenant, classId } = s;
    this.log.info({ tenant, classId, recording: s.interruptedRecording !== undefined }, "class: reopened from its stored state");
    setTimeout(() => {
      void s.releaseCarried().then((left) => {
        if (left > 0) this.log.info({ tenant, classId, left }, "class: connections that did not come back left the class");
        const key = this.key(tenant, classId);
        void this.sessions.get(key)?.then((current) => current === s && this.idleIfEmpty(key, s));
      });
    }, CARRIED_GRACE_MS).unref();
    const store = this.deps.recording?.store;
    // a recording of this node (its worker died) is finished and stored by this node
    if (!interruptedSession || !store || this.localRecordings.has(interruptedSession)) return;
    // the part(s) the lost node was writing: their file was on that node, so they end as failed here
    void store
      .list(tenant, classId)
      .then((parts) => Promise.all(parts.filter((p) => p.sessionId === interruptedSession && p.status === "recording").map((p) => store.close(tenant, p.id, { status: "failed", endedAt: new Date(), bytes: null, durationMs: null }))))
      .catch((err: unknown) => this.log.error({ err, tenant, classId }, "recording: closing the interrupted parts failed"));
  }

  /** Another media node took the class over while this one served it: its connections here are told to join again. */
  private async superseded(key: string, s: ClassSession): Promise<void> {
    if ((await this.sessions.get(key)?.catch(() => undefined)) === s) this.sessions.delete(key);
    this.log.warn({ tenant: s.tenant, classId: s.classId }, "class: another media node took this class over");
    for (const socketId of s.peerIds()) this.deps.outbox.toPeer(socketId, "class:rejoin", { classId: s.classId, reason: "media-node-superseded" });
  }

  /** A class whose recording was interrupted by a move resumes it shortly after something is published again. */
  private resumeSoon(s: ClassSession): void {
    if (!s.interruptedRecording || this.resuming.has(s)) return;
    this.resuming.add(s);
    setTimeout(() => {
      this.resuming.delete(s);
      void s.resumeRecording().then((resumed) => resumed && this.log.info({ tenant: s.tenant, classId: s.classId }, "recording: resumed after the class moved"));
    }, RESUME_RECORDING_DELAY_MS).unref();
  }

  private readonly resuming = new WeakSet<ClassSession>();
  /** Recording sessions running (or being stored) on this node. */
  private readonly localRecordings = new Set<string>();

  /** A recording of a class on this node, within the node's limit of concurrent recordings. */
  private async startRecording(router: types.Router, sources: RecordingSources, tenant: string, classId: string): Promise<RecordingHandle> {
    const deps = this.deps.recording;
    if (!deps) throw new AppError(ErrorCode.MediaUnavailable, "this media node does not record classes");
    if (this.activeRecordings >= deps.maxConcurrent) throw new AppError(ErrorCode.Overloaded, "this media node records as many classes as it can; try again later");
    this.activeRecordings++;
    try {
      deps.onStart?.(tenant);
      const recording = await ClassRecording.start(router, sources, tenant, classId, deps);
      this.localRecordings.add(recording.sessionId);
      return {
        sessionId: recording.sessionId,
        stop: () =>
          recording.stop().finally(() => {
            this.activeRecordings--;
            this.localRecordings.delete(recording.sessionId);
          }),
      };
    } catch (err) {
      this.activeRecordings--;
      throw err;
    }
  }

  private async existing(req: Pick<MediaRequest, "tenant" | "classId">): Promise<ClassSession> {
    const session = this.sessions.get(this.key(req.tenant, req.classId));
    if (!session) throw new AppError(ErrorCode.NotInClass, "join the class first");
    return session;
  }

  /**
   * Runs one forwarded request; errors are AppErrors with numbered codes. The payload is parsed with
   * its operation's schema (core/class-signaling.ts `mediaPayloads`): an unknown operation (a realtime
   * node of a newer version) is answered with 1002, an invalid payload with 1001.
   */
  async handle(req: MediaRequest): Promise<unknown> {
    return this.run(req.op, req);
  }

  private run<O extends MediaOp>(op: O, req: MediaRequest): Promise<MediaAcks[O]> {
    if (!Object.hasOwn(mediaPayloads, op)) throw new AppError(ErrorCode.UnknownEvent, `unknown class operation "${String(op)}"`);
    const parsed = mediaPayloads[op].safeParse(req.payload);
    if (!parsed.success) throw validationError(parsed.error);
    // Sound: `parsed` is the output of the schema of `op`, which is what MediaPayload<O> names.
    const call: MediaCall<O> = { ...req, op, payload: parsed.data as MediaPayload<O> };
    const handler: MediaHandler<O> = this.handlers[op];
    return handler(call);
  }

  /** A handler for a class already open on this node (else 4006). */
  private inClass<O extends MediaOp>(fn: (s: ClassSession, call: MediaCall<O>) => MediaAcks[O] | Promise<MediaAcks[O]>): MediaHandler<O> {
    return async (call) => fn(await this.existing(call), call);
  }

  /** Leaves the class (a request or a disconnected socket); an empty class closes after a grace period. */
  private async leave(call: MediaCall<"class:leave" | "peer:gone">): Promise<{ classId: string }> {
    const key = this.key(call.tenant, call.classId);
    const session = this.sessions.get(key);
    if (!session) return { classId: call.classId };
    const s = await session;
    await s.leave(call.caller.user, call.caller.socketId);
    this.idleIfEmpty(key, s);
    return { classId: call.classId };
  }

  /** An empty class closes after a grace period (a participant may be reconnecting). */
  private idleIfEmpty(key: string, s: ClassSession): void {
    if (s.empty && !this.idle.has(key)) this.idle.set(key, setTimeout(() => void this.closeSession(key, s), EMPTY_CLASS_GRACE_MS).unref());
  }

  /**
   * Connections whose realtime node is gone (`alive` false: it stopped heartbeating) leave every class
   * here, as if their sockets had disconnected, so their attendance closes; run on the node's heartbeat.
   * Returns how many connections left.
   */
  async reapDeadPeers(alive: (node: string) => Promise<boolean>): Promise<number> {
    let left = 0;
    for (const [key, pending] of [...this.sessions]) {
      const s = await pending.catch(() => undefined);
      if (!s) continue;
      left += await s.reapPeers(alive);
      this.idleIfEmpty(key, s);
    }
    return left;
  }

  private controlProducer<A extends "pause" | "resume" | "close" | "mute">(action: A): MediaHandler<`producer:${A}`> {
    return this.inClass(async (s, { caller, payload }) => {
      await s.controlProducer(caller, payload.producerId, action);
      return { producerId: payload.producerId };
    });
  }

  /** One handler per operation, each with its parsed payload (a missing operation does not compile). */
  private readonly handlers: MediaHandlers = {
    "class:capabilities": async (call) => ({ rtpCapabilities: (await this.open(call)).media.rtpCapabilities }),
    "class:join": async (call) => {
      const session = await this.open(call);
      const key = this.key(call.tenant, call.classId);
      clearTimeout(this.idle.get(key));
      this.idle.delete(key);
      return session.join(call.caller, asRtpCapabilities(call.payload.rtpCapabilities));
    },
    "class:leave": (call) => this.leave(call),
    "peer:gone": (call) => this.leave(call),
    "class:start": async (call) => (await this.open(call)).start(call.caller),
    "class:record": this.inClass((s, { caller, payload }) => s.record(caller, payload.action)),
    "class:end": async (call) => {
      const s = await this.open(call);
      const ended = await s.end(call.caller);
      this.sessions.delete(this.key(call.tenant, call.classId));
      return ended;
    },
    "transport:create": this.inClass((s, { caller, payload }) => {
      s.controlGuard(caller);
      return s.media.createTransport(caller.socketId, payload.direction);
    }),
    "transport:connect": this.inClass(async (s, { caller, payload }) => {
      s.controlGuard(caller);
      await s.media.connectTransport(caller.socketId, payload.transportId, asDtlsParameters(payload.dtlsParameters));
      return { transportId: payload.transportId };
    }),
    "transport:restartIce": this.inClass(async (s, { caller, payload }) => {
      s.controlGuard(caller);
      return { iceParameters: await s.media.restartIce(caller.socketId, payload.transportId) };
    }),
    "producer:create": this.inClass(async (s, { caller, payload }) => {
      const producerId = await s.produce(caller, payload);
      this.resumeSoon(s);
      return { producerId };
    }),
    "producer:pause": this.controlProducer("pause"),
    "producer:resume": this.controlProducer("resume"),
    "producer:close": this.controlProducer("close"),
    "producer:mute": this.controlProducer("mute"),
    "consumer:resume": this.inClass(async (s, { caller, payload }) => {
      s.controlGuard(caller);
      await s.media.resumeConsumer(caller.socketId, payload.consumerId);
      return { consumerId: payload.consumerId };
    }),
    "consumer:setPreferredLayers": this.inClass(async (s, { caller, payload }) => {
      s.controlGuard(caller);
      await s.media.setPreferredLayers(caller.socketId, payload.consumerId, { spatialLayer: payload.spatialLayer, temporalLayer: payload.temporalLayer });
      return { consumerId: payload.consumerId };
    }),
    "hand:raise": this.inClass(async (s, { caller }) => ({ hands: await s.raiseHand(caller) })),
    "hand:lower": this.inClass(async (s, { caller, payload }) => ({ hands: await s.lowerHand(caller, payload.user) })),
    "hand:acknowledge": this.inClass(async (s, { caller, payload }) => ({ hands: await s.acknowledgeHand(caller, payload.user) })),
    "participant:promote": this.inClass((s, { caller, payload }) => s.promote(caller, payload.user)),
    "participant:demote": this.inClass((s, { caller, payload }) => s.demote(caller, payload.user)),
    "participant:remove": this.inClass(async (s, { caller, payload }) => {
      await s.remove(caller, payload.user);
      return { user: payload.user };
    }),
  };

  private async closeSession(key: string, s: ClassSession): Promise<void> {
    this.idle.delete(key);
    if (!s.empty || (await this.sessions.get(key)) !== s) return;
    this.sessions.delete(key);
    s.retire();
  }

  private async onWorkerDied(worker: types.Worker): Promise<void> {
    for (const [key, pending] of [...this.sessions]) {
      const s = await pending.catch(() => undefined);
      if (!s?.media.usesWorker(worker)) continue;
      // the class reopens from its stored state on the next request: roles, hands and removals stay, and
      // the connections' attendance stays open (they come back on the same sockets)
      this.sessions.delete(key);
      s.retire();
      this.deps.outbox.toClass(s.tenant, s.classId, "class:rejoin", { classId: s.classId, reason: "media-worker-failed" });
    }
  }

  async close(): Promise<void> {
    for (const t of this.idle.values()) clearTimeout(t);
    // the classes' state stays in the store: they reopen (recording included) on the node that takes them
    for (const s of this.sessions.values()) (await s.catch(() => undefined))?.retire();
    this.sessions.clear();
    this.pool.close();
  }
}
