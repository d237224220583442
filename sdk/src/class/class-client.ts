import { Device, type types } from "mediasoup-client";
import { io, type Socket } from "socket.io-client";
import type { ClassJoined, ClassPushes, ClassRole, ConsumerView, HandView, MediaSource, ParticipantView, TransportView } from "../../../core/class-signaling";
import { ErrorCode } from "../codes";
import { isInterlinkedError } from "../errors";
import { classRequest } from "./class-request";
import { Emitter } from "../emitter";
import { decodeJwtClaims } from "../token";
import { CAMERA_CODEC_OPTIONS, CAMERA_SIMULCAST } from "./media";

/** A remote track this client receives (one mediasoup consumer). */
export interface RemoteMedia {
  consumerId: string;
  producerId: string;
  user: string;
  kind: "audio" | "video";
  source: MediaSource;
  track: MediaStreamTrack;
  /** The sender paused it (its owner, or a teacher muted it). */
  paused: boolean;
}

/** A track this client publishes. */
export interface LocalMedia {
  producerId: string;
  source: MediaSource;
  track: MediaStreamTrack;
  paused: boolean;
}

export interface ClassClientEvents {
  joined: (payload: ClassJoined) => void;
  participants: (payload: ParticipantView[]) => void;
  participant: (payload: ClassPushes["class:participant"]) => void;
  role: (payload: ClassRole) => void;
  hands: (payload: HandView[]) => void;
  started: (payload: ClassPushes["class:started"]) => void;
  ended: (payload: ClassPushes["class:ended"]) => void;
  removed: (payload: ClassPushes["class:removed"]) => void;
  media: (payload: RemoteMedia) => void;
  mediaClosed: (payload: RemoteMedia) => void;
  mediaPaused: (payload: RemoteMedia) => void;
  published: (payload: LocalMedia) => void;
  unpublished: (payload: LocalMedia) => void;
  producerMuted: (payload: ClassPushes["media:producerMuted"]) => void;
  activeSpeaker: (payload: ClassPushes["media:activeSpeaker"]) => void;
  score: (payload: ClassPushes["media:score"]) => void;
  /** The class's media is being rebuilt (`class:rejoin` from the server, or the socket reconnected). */
  rejoining: (payload: { reason: string }) => void;
  /** Joined again, receive transport up, tracks re-published. */
  rejoined: (payload: ClassJoined) => void;
  /** A background failure (a consumer that could not be set up, a rejoin that gave up). */
  error: (error: Error) => void;
}

export interface ClassClientOptions {
  /** A socket.io-client socket on the `/class` namespace (`io(origin + "/class", { auth: { token } })`). */
  socket: Socket;
  classId: string;
  /** The mediasoup-client Device to use (default: detected from the browser). Called again on every rejoin. */
  createDevice?: () => Promise<Device>;
  /** Disconnect `socket` on close (true when the client opened it with `ClassClient.connect`). */
  ownsSocket?: boolean;
  /** The caller's user id (the token's `sub`): lets the client follow its own promotions and demotions. */
  user?: string;
}


/** Tries of a rejoin (about 30 s with the backoff) before `error` is emitted. */
const REJOIN_ATTEMPTS = 9;

type Pushes = { [E in keyof ClassPushes]: (payload: ClassPushes[E]) => void };

/**
 * One participant of a live class over the `/class` namespace (docs/CLIENT.md "Live classes"):
 * loads a mediasoup-client Device with the class router's capabilities, joins, opens a receive
 * transport at once (consumers the server announces are set up and resumed in order, buffered until the
 * transport exists) and a send transport on the first publish. Camera video is sent as three simulcast
 * layers. On `class:rejoin` (the class's media worker failed, or the class moved to another media node) or a reconnect of the socket, it rebuilds
 * the Device and both transports, joins again and re-publishes its tracks; `rejoined` tells when done.
 * Not for concurrent use across classes: one client per class and socket.
 */
export class ClassClient extends Emitter<ClassClientEvents> {
  readonly classId: string;
  readonly socket: Socket;
  readonly user: string | undefined;
  /** The caller's role in the class (updated by promotions and demotions). */
  role: ClassRole = "student";
  started = false;
  ended = false;
  removed = false;
  readonly participants = new Map<string, ParticipantView>();
  hands: HandView[] = [];
  readonly remote = new Map<string, RemoteMedia>();
  readonly local = new Map<MediaSource, LocalMedia>();

  private device: Device | undefined;
  private sendTransport: types.Transport | undefined;
  private sendOpening: Promise<types.Transport> | undefined;
  private recvTransport: types.Transport | undefined;
  private readonly consumers = new Map<string, types.Consumer>();
  /** Consumers the server closed before they were set up. */
  private readonly closedEarly = new Set<string>();
  private readonly producers = new Map<MediaSource, types.Producer>();
  private recvReady!: Promise<types.Transport>;
  private resolveRecv!: (t: types.Transport) => void;
  private consuming: Promise<unknown> = Promise.resolve();
  /** Bumped on every (re)join: work of an older generation is dropped. */
  private generation = 0;
  private joinedOnce = false;
  private rebuilding: Promise<unknown> | undefined;
  private readonly createDevice: () => Promise<Device>;
  private readonly ownsSocket: boolean;
  private readonly detach: Array<() => void> = [];

  constructor(options: ClassClientOptions) {
    super();
    this.classId = options.classId;
    this.socket = options.socket;
    this.ownsSocket = options.ownsSocket ?? false;
    this.user = options.user;
    this.createDevice = options.createDevice ?? (() => Device.factory());
    this.armRecv();
    this.listen();
  }

  /** Opens a `/class` socket to `origin` with `token` and returns a client for `classId` (not joined yet). */
  static async connect(origin: string, token: string, classId: string, options: { transports?: Array<"polling" | "websocket"> } = {}): Promise<ClassClient> {
    const socket = io(`${origin}/class`, { auth: { token }, transports: options.transports ?? ["websocket", "polling"], forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", (err) => {
        socket.close();
        reject(err);
      });
    });
    return new ClassClient({ socket, classId, ownsSocket: true, user: decodeJwtClaims(token)?.sub });
  }

  private listen(): void {
    const handlers: Partial<Pushes> = {
      "class:participant": (p) => {
        if (p.classId !== this.classId) return;
        if (p.action === "left") this.participants.delete(p.user);
        else this.participants.set(p.user, { user: p.user, role: p.role, handRaised: this.hands.some((h) => h.user === p.user) });
        if (p.user === this.user && p.action !== "left" && p.role !== this.role) {
          this.role = p.role;
          this.emit("role", p.role);
        }
        this.emit("participant", p);
        this.emit("participants", [...this.participants.values()]);
      },
      "class:hands": (p) => {
        if (p.classId !== this.classId) return;
        this.setHands(p.hands);
      },
      "class:started": (p) => {
        if (p.classId !== this.classId) return;
        this.started = true;
        this.emit("started", p);
      },
      "class:ended": (p) => {
        if (p.classId !== this.classId) return;
        this.ended = true;
        this.teardown();
        this.emit("ended", p);
      },
      "class:removed": (p) => {
        if (p.classId !== this.classId) return;
        this.removed = true;
        this.teardown();
        this.emit("removed", p);
      },
      "class:rejoin": (p) => {
        if (p.classId === this.classId) void this.rejoin(p.reason);
      },
      "media:newConsumer": (p) => {
        if (p.classId !== this.classId) return;
        const generation = this.generation;
        this.consuming = this.consuming.then(() => this.take(p.consumer, generation)).catch((err: unknown) => this.fail(err));
      },
      "media:consumerClosed": (p) => {
        if (p.classId !== this.classId) return;
        // still queued for set-up: remember, so take() skips it
        if (!this.consumers.has(p.consumerId)) this.closedEarly.add(p.consumerId);
        this.dropConsumer(p.consumerId);
      },
      "media:consumerPaused": (p) => {
        const media = this.remote.get(p.consumerId);
        if (p.classId !== this.classId || !media) return;
        media.paused = p.paused;
        this.emit("mediaPaused", media);
      },
      "media:producerMuted": (p) => {
        if (p.classId !== this.classId) return;
        for (const [, mine] of this.local) {
          if (mine.producerId !== p.producerId) continue;
          this.producers.get(mine.source)?.pause();
          mine.paused = true;
          this.emit("published", mine);
        }
        this.emit("producerMuted", p);
      },
      "media:producerClosed": (p) => {
        if (p.classId !== this.classId) return;
        for (const [source, mine] of this.local) if (mine.producerId === p.producerId) this.closeLocal(source);
      },
      "media:activeSpeaker": (p) => {
        if (p.classId === this.classId) this.emit("activeSpeaker", p);
      },
      "media:score": (p) => {
        if (p.classId === this.classId) this.emit("score", p);
      },
    };
    for (const [event, handler] of Object.entries(handlers)) {
      this.socket.on(event, handler as (payload: unknown) => void);
      this.detach.push(() => this.socket.off(event, handler as (payload: unknown) => void));
    }
    // A reconnect is a new socket id for the server: the old peer is gone, join again.
    const onConnect = (): void => {
      if (this.joinedOnce && !this.ended && !this.removed) void this.rejoin("reconnected");
    };
    this.socket.on("connect", onConnect);
    this.detach.push(() => this.socket.off("connect", onConnect));
  }

  private fail(err: unknown): void {
    this.emit("error", err instanceof Error ? err : new Error(String(err)));
  }

  private armRecv(): void {
    this.recvReady = new Promise((resolve) => (this.resolveRecv = resolve));
  }

  private setHands(hands: HandView[]): void {
    this.hands = hands;
    for (const p of this.participants.values()) p.handRaised = hands.some((h) => h.user === p.user);
    this.emit("hands", hands);
  }

  /** capabilities → Device.load → class:join → receive transport. Resolves with the join answer. */
  async join(): Promise<ClassJoined> {
    const generation = ++this.generation;
    const { rtpCapabilities } = await classRequest(this.socket, "class:capabilities", { classId: this.classId });
    const device = await this.createDevice();
    await device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities });
    this.device = device;
    const caps = device.rtpCapabilities;
    const joined = await classRequest(this.socket, "class:join", {
      classId: this.classId,
      rtpCapabilities: { codecs: caps.codecs as never, headerExtensions: caps.headerExtensions as never },
    });
    if (generation !== this.generation) return joined;
    this.joinedOnce = true;
    this.role = joined.role;
    this.started = joined.started;
    this.participants.clear();
    for (const p of joined.participants) this.participants.set(p.user, { ...p });
    this.hands = joined.hands;
    const recv = await classRequest(this.socket, "transport:create", { classId: this.classId, direction: "recv" });
    this.recvTransport = this.transport(device, "recv", recv);
    this.resolveRecv(this.recvTransport);
    this.emit("joined", joined);
    this.emit("participants", [...this.participants.values()]);
    this.emit("hands", this.hands);
    this.emit("role", this.role);
    return joined;
  }

  private transport(device: Device, direction: "send" | "recv", view: TransportView): types.Transport {
    const options = {
      id: view.id,
      iceParameters: view.iceParameters,
      iceCandidates: view.iceCandidates as types.IceCandidate[],
      dtlsParameters: view.dtlsParameters as types.DtlsParameters,
    };
    const transport = direction === "send" ? device.createSendTransport(options) : device.createRecvTransport(options);
    transport.on("connect", ({ dtlsParameters }, callback, errback) => {
      classRequest(this.socket, "transport:connect", { classId: this.classId, transportId: transport.id, dtlsParameters: dtlsParameters as never })
        .then(() => callback())
        .catch(errback);
    });
    if (direction === "send") {
      transport.on("produce", ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = appData.source as MediaSource;
        classRequest(this.socket, "producer:create", { classId: this.classId, transportId: transport.id, kind, source, rtpParameters: rtpParameters as never })
          .then(({ producerId }) => callback({ id: producerId }))
          .catch(errback);
      });
    }
    transport.on("connectionstatechange", (state) => {
      if (state === "failed") {
        classRequest(this.socket, "transport:restartIce", { classId: this.classId, transportId: transport.id })
          .then(({ iceParameters }) => transport.restartIce({ iceParameters }))
          .catch((err: unknown) => this.fail(err));
      }
    });
    return transport;
  }

  private async take(view: ConsumerView, generation: number): Promise<void> {
    const transport = await this.recvReady;
    if (this.closedEarly.delete(view.id) || generation !== this.generation || transport.closed) return;
    const consumer = await transport.consume({
      id: view.id,
      producerId: view.producerId,
      kind: view.kind,
      rtpParameters: view.rtpParameters as unknown as types.RtpParameters,
      streamId: view.source === "screen" ? `${view.user}-screen` : view.user,
    });
    if (generation !== this.generation) {
      consumer.close(); // the media was torn down meanwhile
      return;
    }
    this.consumers.set(view.id, consumer);
    if (this.closedEarly.delete(view.id)) {
      this.dropConsumer(view.id);
      return;
    }
    try {
      await classRequest(this.socket, "consumer:resume", { classId: this.classId, consumerId: view.id });
    } catch (err) {
      if (!this.consumers.has(view.id)) return; // closed meanwhile: the refusal is expected
      throw err;
    }
    if (!this.consumers.has(view.id)) return;
    const media: RemoteMedia = { consumerId: view.id, producerId: view.producerId, user: view.user, kind: view.kind, source: view.source, track: consumer.track, paused: view.producerPaused };
    this.remote.set(view.id, media);
    this.emit("media", media);
  }

  private dropConsumer(consumerId: string): void {
    this.consumers.get(consumerId)?.close();
    this.consumers.delete(consumerId);
    const media = this.remote.get(consumerId);
    this.remote.delete(consumerId);
    if (media) this.emit("mediaClosed", media);
  }

  /** The send transport, created once (concurrent publishes share it: a second one would replace the first). */
  private send(): Promise<types.Transport> {
    if (this.sendTransport && !this.sendTransport.closed) return Promise.resolve(this.sendTransport);
    if (this.sendOpening) return this.sendOpening;
    const device = this.device;
    if (!device) return Promise.reject(new Error("join the class first"));
    const generation = this.generation;
    this.sendOpening = classRequest(this.socket, "transport:create", { classId: this.classId, direction: "send" })
      .then((view) => {
        if (generation !== this.generation) throw new Error("the class's media was rebuilt meanwhile");
        this.sendTransport = this.transport(device, "send", view);
        return this.sendTransport;
      })
      .finally(() => (this.sendOpening = undefined));
    return this.sendOpening;
  }

  /**
   * Publishes `track` as `source` (camera video goes out as three simulcast layers). One track per source:
   * publishing a source again replaces the previous producer. Needs a publishing role (host, cohost,
   * speaker: else 2005) and a started class (else 4004). The track is not stopped by the client.
   */
  async publish(source: MediaSource, track: MediaStreamTrack): Promise<LocalMedia> {
    if (this.producers.has(source)) await this.unpublish(source);
    const transport = await this.send();
    const producer = await transport.produce({
      track,
      encodings: source === "camera" ? CAMERA_SIMULCAST.map((e) => ({ ...e })) : undefined,
      codecOptions: source === "camera" ? CAMERA_CODEC_OPTIONS : undefined,
      stopTracks: false,
      appData: { source },
    });
    this.producers.set(source, producer);
    const local: LocalMedia = { producerId: producer.id, source, track, paused: false };
    this.local.set(source, local);
    producer.on("trackended", () => void this.unpublish(source).catch((err: unknown) => this.fail(err)));
    this.emit("published", local);
    return local;
  }

  /** Stops publishing `source` (producer:close). */
  async unpublish(source: MediaSource): Promise<void> {
    const local = this.local.get(source);
    if (!local) return;
    this.closeLocal(source);
    await classRequest(this.socket, "producer:close", { classId: this.classId, producerId: local.producerId }).catch(() => undefined);
  }

  private closeLocal(source: MediaSource): void {
    const local = this.local.get(source);
    this.producers.get(source)?.close();
    this.producers.delete(source);
    this.local.delete(source);
    if (local) this.emit("unpublished", local);
  }

  /** Pauses one's own `source` (producer:pause): receivers get `media:consumerPaused`. */
  async mute(source: MediaSource): Promise<void> {
    const local = this.local.get(source);
    if (!local) return;
    this.producers.get(source)?.pause();
    local.paused = true;
    await classRequest(this.socket, "producer:pause", { classId: this.classId, producerId: local.producerId });
    this.emit("published", local);
  }

  /** Resumes one's own `source`; refused with 2004 while a teacher's mute holds. */
  async unmute(source: MediaSource): Promise<void> {
    const local = this.local.get(source);
    if (!local) return;
    await classRequest(this.socket, "producer:resume", { classId: this.classId, producerId: local.producerId });
    this.producers.get(source)?.resume();
    local.paused = false;
    this.emit("published", local);
  }

  /** A teacher mutes anyone's producer (it stays paused for its owner until a teacher resumes it). */
  async muteProducer(producerId: string): Promise<void> {
    await classRequest(this.socket, "producer:mute", { classId: this.classId, producerId });
  }

  /** A teacher resumes a producer it muted. */
  async unmuteProducer(producerId: string): Promise<void> {
    await classRequest(this.socket, "producer:resume", { classId: this.classId, producerId });
  }

  /** Asks the server for simulcast layer `spatialLayer` (0 = lowest) of a received video. */
  async setPreferredLayers(consumerId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    await classRequest(this.socket, "consumer:setPreferredLayers", { classId: this.classId, consumerId, spatialLayer, ...(temporalLayer === undefined ? {} : { temporalLayer }) });
  }

  /** The RTCStatsReport of a received track (inbound-rtp: framesDecoded, frameWidth, bytesReceived…). */
  async stats(consumerId: string): Promise<RTCStatsReport | undefined> {
    return this.consumers.get(consumerId)?.getStats();
  }

  /** The RTCStatsReport of a published source (outbound-rtp per simulcast layer). */
  async publishStats(source: MediaSource): Promise<RTCStatsReport | undefined> {
    return this.producers.get(source)?.getStats();
  }

  async start(): Promise<void> {
    await classRequest(this.socket, "class:start", { classId: this.classId });
    this.started = true;
  }

  async end(): Promise<void> {
    await classRequest(this.socket, "class:end", { classId: this.classId });
  }

  async raiseHand(): Promise<HandView[]> {
    const { hands } = await classRequest(this.socket, "hand:raise", { classId: this.classId });
    this.setHands(hands);
    return hands;
  }

  /** Lowers one's own hand, or (teachers) `user`'s. */
  async lowerHand(user?: string): Promise<HandView[]> {
    const { hands } = await classRequest(this.socket, "hand:lower", { classId: this.classId, ...(user ? { user } : {}) });
    this.setHands(hands);
    return hands;
  }

  async acknowledgeHand(user: string): Promise<HandView[]> {
    const { hands } = await classRequest(this.socket, "hand:acknowledge", { classId: this.classId, user });
    this.setHands(hands);
    return hands;
  }

  async promote(user: string): Promise<void> {
    await classRequest(this.socket, "participant:promote", { classId: this.classId, user });
  }

  async demote(user: string): Promise<void> {
    await classRequest(this.socket, "participant:demote", { classId: this.classId, user });
  }

  async remove(user: string): Promise<void> {
    await classRequest(this.socket, "participant:remove", { classId: this.classId, user });
  }

  /** Leaves the class (class:leave) and closes the transports; the socket stays open. */
  async leave(): Promise<void> {
    this.generation++;
    this.teardown();
    await classRequest(this.socket, "class:leave", { classId: this.classId }).catch(() => undefined);
  }

  /** Leaves and stops listening; disconnects the socket when the client opened it. */
  async close(): Promise<void> {
    if (!this.ended && !this.removed && this.socket.connected) await this.leave();
    else this.teardown();
    for (const off of this.detach.splice(0)) off();
    if (this.ownsSocket) this.socket.close();
  }

  /**
   * Closes transports (and with them producers and consumers) locally. `keepLocal`: a rejoin that will
   * re-publish the same tracks (no `unpublished` events then).
   */
  private teardown(keepLocal = false): void {
    this.generation++;
    for (const id of [...this.consumers.keys()]) this.dropConsumer(id);
    if (keepLocal) {
      for (const producer of this.producers.values()) producer.close();
      this.producers.clear();
      this.local.clear();
    } else for (const source of [...this.local.keys()]) this.closeLocal(source);
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = undefined;
    this.recvTransport = undefined;
    this.armRecv();
  }

  /**
   * join() until it succeeds: after a worker failure the media node may need a moment to replace the
   * worker. Backoff 0.5 s doubling to 5 s, at most REJOIN_ATTEMPTS tries; a class that ended, a removal or
   * a class that is gone end the attempts at once.
   */
  private async joinRetrying(): Promise<ClassJoined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.join();
      } catch (err) {
        const code = isInterlinkedError(err) ? err.code : undefined;
        if (attempt >= REJOIN_ATTEMPTS || code === ErrorCode.ClassEnded || code === ErrorCode.RemovedFromClass || code === ErrorCode.NotFound || this.ended || this.removed) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * 2 ** (attempt - 1))));
      }
    }
  }

  /** Rebuilds Device and transports, joins again and re-publishes what was published. */
  private rejoin(reason: string): Promise<unknown> {
    if (this.rebuilding) return this.rebuilding;
    const run = async (): Promise<void> => {
      this.emit("rejoining", { reason });
      const republish = [...this.local.values()];
      this.teardown(true);
      this.consuming = Promise.resolve();
      const joined = await this.joinRetrying();
      // A new media session may not know a promotion any more: a student's tracks are then dropped.
      const mayPublish = joined.role !== "student";
      for (const previous of republish) {
        if (!mayPublish || previous.track.readyState === "ended") {
          this.emit("unpublished", previous);
          continue;
        }
        await this.publish(previous.source, previous.track);
        if (previous.paused) await this.mute(previous.source).catch(() => undefined);
      }
      this.emit("rejoined", joined);
    };
    this.rebuilding = run()
      .catch((err: unknown) => this.fail(err))
      .finally(() => (this.rebuilding = undefined));
    return this.rebuilding;
  }
}
