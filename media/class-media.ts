import type { types } from "mediasoup";
import type { ConsumerView, MediaSource, TransportView } from "../core/class-signaling";
import type { MediaOptions } from "../core/config";
import { AppError, ErrorCode } from "../core/errors";
import { classMediaCodecs } from "./codecs";
import { MediaWorkerPool } from "./worker-pool";

const workerOf = (router: types.Router): types.Worker | undefined => MediaWorkerPool.workerOf(router);

/** What a class's media tells the signaling layer (peers are socket ids). */
export interface ClassMediaEvents {
  newConsumer(peer: string, consumer: ConsumerView): void;
  consumerClosed(peer: string, consumerId: string): void;
  consumerPaused(peer: string, consumerId: string, paused: boolean): void;
  activeSpeaker(producerId: string, user: string): void;
  score(peer: string, kind: "producer" | "consumer", id: string, score: number): void;
}

interface ProducerData {
  [key: string]: unknown;
  peer: string;
  user: string;
  source: MediaSource;
}

interface Peer {
  user: string;
  rtpCapabilities: types.RtpCapabilities;
  transports: Map<string, { transport: types.WebRtcTransport; direction: "send" | "recv"; router: ClassRouter }>;
  consumers: Map<string, types.Consumer>;
}

interface ClassRouter {
  router: types.Router;
  /** Our producer id → the id of its pipe producer on this router (same id on another worker). */
  piped: Map<string, string>;
  consumers: number;
}

const mediaError = (err: unknown): AppError =>
  err instanceof AppError ? err : new AppError(ErrorCode.InvalidMediaParameters, `mediasoup refused: ${err instanceof Error ? err.message : String(err)}`);

/**
 * The media of one live class: a main router (send transports, producers, active-speaker observer) and,
 * once its consumers pass `consumersPerRouter`, more routers on other workers fed by pipeToRouter.
 * Consumers are created paused and announced; the client resumes them. No permission checks here.
 */
export class ClassMedia {
  private readonly routers: ClassRouter[] = [];
  private readonly peers = new Map<string, Peer>();
  private readonly producers = new Map<string, types.Producer<ProducerData>>();
  private speakerObserver: types.ActiveSpeakerObserver | undefined;
  /** The last dominant speaker the observer named, while its producer lives (late joiners are told). */
  activeSpeaker: { user: string; producerId: string } | undefined;

  private constructor(
    private readonly pool: MediaWorkerPool,
    private readonly options: MediaOptions,
    private readonly events: ClassMediaEvents,
  ) {}

  static async open(pool: MediaWorkerPool, options: MediaOptions, events: ClassMediaEvents): Promise<ClassMedia> {
    const media = new ClassMedia(pool, options, events);
    const router = await pool.createRouter(classMediaCodecs);
    media.routers.push({ router, piped: new Map(), consumers: 0 });
    media.speakerObserver = await router.createActiveSpeakerObserver({ interval: 300 });
    media.speakerObserver.on("dominantspeaker", ({ producer }) => {
      const data = producer.appData as Partial<ProducerData>;
      if (!data.user) return;
      media.activeSpeaker = { user: data.user, producerId: producer.id };
      events.activeSpeaker(producer.id, data.user);
    });
    return media;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.main.router.rtpCapabilities;
  }

  /** The router of the class's producers (recording consumes from it). */
  get mainRouter(): types.Router {
    return this.main.router;
  }

  private get main(): ClassRouter {
    const main = this.routers[0];
    if (!main) throw new AppError(ErrorCode.MediaUnavailable, "class media is closed");
    return main;
  }

  /** Whether any of this class's routers runs on `worker`. */
  usesWorker(worker: types.Worker): boolean {
    return this.routers.some((r) => workerOf(r.router) === worker);
  }

  /** The workers this class's routers run on. */
  workers(): types.Worker[] {
    return [...new Set(this.routers.flatMap((r) => workerOf(r.router) ?? []))];
  }

  routerCount(): number {
    return this.routers.length;
  }

  addPeer(peer: string, user: string, rtpCapabilities: types.RtpCapabilities): void {
    this.removePeer(peer);
    this.peers.set(peer, { user, rtpCapabilities, transports: new Map(), consumers: new Map() });
  }

  /** Closes the peer's transports (and so its producers and consumers). */
  removePeer(peer: string): void {
    const p = this.peers.get(peer);
    if (!p) return;
    this.peers.delete(peer);
    for (const { transport } of p.transports.values()) transport.close();
  }

  private peer(peer: string): Peer {
    const p = this.peers.get(peer);
    if (!p) throw new AppError(ErrorCode.NotInClass, "join the class first");
    return p;
  }

  private transportOf(peer: string, transportId: string) {
    const t = this.peer(peer).transports.get(transportId);
    if (!t) throw new AppError(ErrorCode.NotFound, "no such transport of yours in this class");
    return t;
  }

  async createTransport(peer: string, direction: "send" | "recv"): Promise<TransportView> {
    const p = this.peer(peer);
    // One transport per direction and peer: a new one replaces the old (a client restarting its session).
    for (const t of p.transports.values()) if (t.direction === direction) t.transport.close();
    const target = direction === "send" ? this.main : await this.routerForReceiver();
    const transport = await target.router.createWebRtcTransport({
      listenInfos: [
        { protocol: "udp", ip: this.options.listenIp, announcedAddress: this.options.announcedAddress, portRange: { min: this.options.rtcMinPort, max: this.options.rtcMaxPort } },
        { protocol: "tcp", ip: this.options.listenIp, announcedAddress: this.options.announcedAddress, portRange: { min: this.options.rtcMinPort, max: this.options.rtcMaxPort } },
      ],
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      appData: { peer, direction },
    });
    p.transports.set(transport.id, { transport, direction, router: target });
    transport.observer.once("close", () => p.transports.delete(transport.id));
    if (direction === "recv") for (const producer of this.producers.values()) if (producer.appData.peer !== peer) await this.consume(peer, producer);
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates.map((c) => ({ ...c, ip: c.address })),
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(peer: string, transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.transportOf(peer, transportId).transport.connect({ dtlsParameters }).catch((err: unknown) => {
      throw mediaError(err);
    });
  }

  async restartIce(peer: string, transportId: string): Promise<types.IceParameters> {
    return this.transportOf(peer, transportId).transport.restartIce();
  }

  async produce(peer: string, transportId: string, input: { kind: types.MediaKind; source: MediaSource; rtpParameters: types.RtpParameters }): Promise<string> {
    const t = this.transportOf(peer, transportId);
    if (t.direction !== "send") throw new AppError(ErrorCode.InvalidMediaParameters, "produce needs a send transport");
    const user = this.peer(peer).user;
    const producer = await t.transport
      .produce<ProducerData>({ kind: input.kind, rtpParameters: input.rtpParameters, appData: { peer, user, source: input.source } })
      .catch((err: unknown) => {
        throw mediaError(err);
      });
    this.producers.set(producer.id, producer);
    producer.observer.once("close", () => {
      this.producers.delete(producer.id);
      if (this.activeSpeaker?.producerId === producer.id) this.activeSpeaker = undefined;
    });
    producer.on("score", (scores) => this.events.score(peer, "producer", producer.id, scores[0]?.score ?? 0));
    if (producer.kind === "audio") await this.speakerObserver?.addProducer({ producerId: producer.id }).catch(() => undefined);
    for (const r of this.routers.slice(1)) await this.pipe(producer, r);
    for (const [other] of this.peers) if (other !== peer) await this.consume(other, producer);
    return producer.id;
  }

  producer(producerId: string): types.Producer<ProducerData> {
    const producer = this.producers.get(producerId);
    if (!producer) throw new AppError(ErrorCode.NotFound, "no such producer in this class");
    return producer;
  }

  producerList(): Array<types.Producer<ProducerData>> {
    return [...this.producers.values()];
  }

  async resumeConsumer(peer: string, consumerId: string): Promise<void> {
    await this.consumerOf(peer, consumerId).resume();
  }

  async setPreferredLayers(peer: string, consumerId: string, layers: types.ConsumerLayers): Promise<void> {
    await this.consumerOf(peer, consumerId).setPreferredLayers(layers);
  }

  private consumerOf(peer: string, consumerId: string): types.Consumer {
    const c = this.peer(peer).consumers.get(consumerId);
    if (!c) throw new AppError(ErrorCode.NotFound, "no such consumer of yours in this class");
    return c;
  }

  /** A router with room for one more receiver, adding one on another worker (piping every producer) when all are full. */
  private async routerForReceiver(): Promise<ClassRouter> {
    const need = Math.max(1, this.producers.size);
    const fit = this.routers.find((r) => r.consumers + need <= this.options.consumersPerRouter);
    if (fit) return fit;
    const router = await this.pool.createRouter(classMediaCodecs, new Set(this.routers.flatMap((r) => workerOf(r.router) ?? [])));
    const added: ClassRouter = { router, piped: new Map(), consumers: 0 };
    this.routers.push(added);
    for (const producer of this.producers.values()) await this.pipe(producer, added);
    return added;
  }

  private async pipe(producer: types.Producer, target: ClassRouter): Promise<void> {
    const sameWorker = workerOf(target.router) === workerOf(this.main.router);
    const { pipeProducer } = await this.main.router.pipeToRouter({ producerId: producer.id, router: target.router, keepId: !sameWorker });
    if (pipeProducer) target.piped.set(producer.id, pipeProducer.id);
  }

  private async consume(peer: string, producer: types.Producer<ProducerData>): Promise<void> {
    const p = this.peers.get(peer);
    const recv = p && [...p.transports.values()].find((t) => t.direction === "recv");
    if (!p || !recv) return;
    const producerId = recv.router === this.main ? producer.id : recv.router.piped.get(producer.id);
    if (!producerId || !recv.router.router.canConsume({ producerId, rtpCapabilities: p.rtpCapabilities })) return;
    const consumer = await recv.transport.consume({ producerId, rtpCapabilities: p.rtpCapabilities, paused: true });
    recv.router.consumers++;
    p.consumers.set(consumer.id, consumer);
    consumer.observer.once("close", () => {
      recv.router.consumers--;
      p.consumers.delete(consumer.id);
    });
    consumer.on("producerclose", () => this.events.consumerClosed(peer, consumer.id));
    consumer.on("producerpause", () => this.events.consumerPaused(peer, consumer.id, true));
    consumer.on("producerresume", () => this.events.consumerPaused(peer, consumer.id, false));
    consumer.on("score", (score) => this.events.score(peer, "consumer", consumer.id, score.score));
    this.events.newConsumer(peer, {
      id: consumer.id,
      producerId: producer.id,
      user: producer.appData.user,
      kind: consumer.kind,
      source: producer.appData.source,
      rtpParameters: consumer.rtpParameters as ConsumerView["rtpParameters"],
      producerPaused: consumer.producerPaused,
    });
  }

  close(): void {
    for (const r of this.routers) r.router.close();
    this.routers.length = 0;
    this.peers.clear();
    this.producers.clear();
  }
}
