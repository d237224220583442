import type { ClassJoined, ClassPushes, ConsumerView, TransportView } from "../../core/class-signaling";
import type { Role } from "../../core/auth";
import { connectClient, type TestClient } from "./clients";
import { mintToken } from "./nodes";
import { ack, type Ack } from "./realtime";
import { WebRtcReceiver, WebRtcSender } from "./webrtc-peer";

/**
 * A class participant as a browser would be one: a stock socket.io-client on `/class` of some realtime
 * node, a werift receiver that takes every consumer the server announces, and optionally a werift sender.
 */
export class ClassParticipant {
  receiver: WebRtcReceiver | undefined;
  sender: WebRtcSender | undefined;
  readonly consumers: ConsumerView[] = [];
  readonly pushes: Array<{ event: string; payload: unknown }> = [];
  private negotiation: Promise<unknown> = Promise.resolve();
  /** Announced consumers can arrive before the transport:create ack (the server consumes at once). */
  private receiverReady!: Promise<WebRtcReceiver>;
  private resolveReceiver!: (r: WebRtcReceiver) => void;

  private constructor(
    readonly user: string,
    readonly socket: TestClient,
    readonly classId: string,
  ) {
    this.armReceiver();
    socket.onAny((event: string, payload: unknown) => this.pushes.push({ event, payload }));
    (socket as unknown as { on(e: string, fn: (p: ClassPushes["media:newConsumer"]) => void): void }).on("media:newConsumer", ({ consumer }) => {
      this.negotiation = this.negotiation.then(() => this.take(consumer)).catch((err: unknown) => console.error(`[${user}] consume failed`, err));
    });
  }

  static async connect(url: string, tenant: string, user: string, role: Role, classId: string): Promise<ClassParticipant> {
    return new ClassParticipant(user, await connectClient(`${url}/class`, await mintToken(tenant, user, role)), classId);
  }

  request(event: string, payload: Record<string, unknown> = {}): Promise<Ack> {
    return ack(this.socket, event, { classId: this.classId, ...payload });
  }

  async ok<T = Ack>(event: string, payload: Record<string, unknown> = {}): Promise<T> {
    const res = await this.request(event, payload);
    if (res.error) throw new Error(`${this.user} ${event}: ${JSON.stringify(res.error)}`);
    return res as T;
  }

  /** capabilities → join (our capabilities = the router's) → a receive transport. */
  async join(): Promise<ClassJoined> {
    const { rtpCapabilities } = await this.ok<{ rtpCapabilities: Record<string, unknown> }>("class:capabilities");
    const joined = await this.ok<ClassJoined>("class:join", { rtpCapabilities: { codecs: rtpCapabilities.codecs, headerExtensions: rtpCapabilities.headerExtensions } });
    await this.receive();
    return joined;
  }

  private armReceiver(): void {
    this.receiverReady = new Promise((resolve) => (this.resolveReceiver = resolve));
  }

  async receive(): Promise<void> {
    const recv = await this.ok<TransportView & Ack>("transport:create", { direction: "recv" });
    this.receiver = new WebRtcReceiver(recv);
    this.resolveReceiver(this.receiver);
  }

  private async take(consumer: ConsumerView): Promise<void> {
    const receiver = await this.receiverReady;
    this.consumers.push(consumer);
    const dtls = await receiver.consume([consumer]);
    const transportId = receiver.transport.id;
    if (dtls) await this.ok("transport:connect", { transportId, dtlsParameters: dtls });
    await this.ok("consumer:resume", { consumerId: consumer.id });
  }

  /** Waits until every announced consumer is negotiated. */
  settled(): Promise<unknown> {
    return this.negotiation;
  }

  /** A send transport and producers for `kinds` (mic / camera), then synthetic RTP; returns the producer ids. */
  async publish(kinds: Array<"audio" | "video"> = ["audio", "video"]): Promise<string[]> {
    const send = await this.ok<TransportView & Ack>("transport:create", { direction: "send" });
    this.sender = new WebRtcSender(kinds);
    const dtls = await this.sender.connect(send);
    await this.ok("transport:connect", { transportId: send.id, dtlsParameters: dtls });
    const ids: string[] = [];
    for (const kind of kinds) {
      const res = await this.request("producer:create", { transportId: send.id, kind, source: kind === "audio" ? "mic" : "camera", rtpParameters: this.sender.rtpParameters(kind) });
      if (res.error) {
        await this.sender.close();
        this.sender = undefined;
        return Promise.reject(Object.assign(new Error(`produce refused: ${JSON.stringify(res.error)}`), { ack: res }));
      }
      ids.push(String(res.producerId));
    }
    this.sender.startSending();
    return ids;
  }

  /**
   * What a client does on `class:rejoin` (the SDK's ClassClient does the same): drops its transports and
   * consumers, joins again (capabilities, join, a new receive transport); `republish` sends its kinds again.
   */
  async rejoin(republish: Array<"audio" | "video"> = []): Promise<{ joined: ClassJoined; producerIds: string[] }> {
    await this.sender?.close();
    await this.receiver?.close();
    this.sender = undefined;
    this.receiver = undefined;
    this.consumers.length = 0;
    this.negotiation = Promise.resolve();
    this.armReceiver();
    const joined = await this.join();
    return { joined, producerIds: republish.length > 0 ? await this.publish(republish) : [] };
  }

  /** RTP packets received on the consumer of `producerId`. */
  packetsFrom(producerId: string): number {
    const c = this.consumers.find((x) => x.producerId === producerId);
    return c ? (this.receiver?.count(c.id) ?? 0) : 0;
  }

  pushed<E extends keyof ClassPushes>(event: E): Array<ClassPushes[E]> {
    return this.pushes.filter((p) => p.event === event).map((p) => p.payload as ClassPushes[E]);
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.sender?.close();
    await this.receiver?.close();
  }
}
