import { randomUUID } from "node:crypto";
import { isCluster, type RedisClient } from "../../core/redis-client";
import { AppError, ErrorCode } from "../../core/errors";
import type { MediaRequest } from "../../core/class-signaling";
import { defaultLogger, type Logger } from "../../core/log";
import type { MediaRpc } from "./media-rpc";
import { runToReply, unwrapReply, type RpcReply } from "./media-rpc-reply";

interface Envelope {
  id: string;
  replyTo: string;
  request: MediaRequest;
}

/** A message that only counts the node's subscribers (`serving`); the served node ignores it. */
const PROBE = JSON.stringify({ probe: true });

/**
 * MediaRpc over Redis pub/sub: a channel per media node, a reply channel per caller. On a Redis Cluster
 * it uses sharded pub/sub (SPUBLISH / SSUBSCRIBE): a plain PUBLISH there counts only the receivers
 * connected to the node it was sent to, so "nobody serves this node" could not be told apart.
 */
export class RedisMediaRpc implements MediaRpc {
  private readonly sub: RedisClient;
  private readonly sharded: boolean;
  private readonly replyChannel: string;
  private readonly pending = new Map<string, { resolve: (r: RpcReply) => void; timer: NodeJS.Timeout }>();
  private readonly served = new Map<string, (request: MediaRequest) => Promise<unknown>>();
  private ready: Promise<unknown> | undefined;
  /**
   * The subscriber connection is ready (its INFO ready-check done). A SUBSCRIBE sent before that put the
   * connection in subscriber mode under the ready check, which then failed ("only subscriber commands
   * may be used") and left a just-started media node unsubscribed for a while: calls got 5004.
   */
  private readonly subReady: Promise<void>;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly log: Logger = defaultLogger(),
  ) {
    this.sharded = isCluster(redis);
    this.sub = isCluster(redis) ? redis.duplicate([], { shardedSubscribers: true }) : redis.duplicate();
    this.sub.on("error", (err) => this.log.error({ err }, "media rpc: subscriber connection error"));
    this.subReady = new Promise((resolve) => this.sub.once("ready", () => resolve()));
    this.replyChannel = `${prefix}media-reply:${randomUUID()}`;
    this.sub.on(this.sharded ? "smessage" : "message", (channel: string, message: string) => this.onMessage(channel, message));
  }

  private async publish(channel: string, message: string): Promise<number> {
    return Number(await (this.sharded ? this.redis.spublish(channel, message) : this.redis.publish(channel, message)));
  }

  private subscribe(channel: string): Promise<unknown> {
    return this.sharded ? this.sub.ssubscribe(channel) : this.sub.subscribe(channel);
  }

  private unsubscribe(channel: string): Promise<unknown> {
    return this.sharded ? this.sub.sunsubscribe(channel) : this.sub.unsubscribe(channel);
  }

  private channelOf(nodeId: string): string {
    return `${this.prefix}media-rpc:${nodeId}`;
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.replyChannel) {
      const { id, reply } = JSON.parse(message) as { id: string; reply: RpcReply };
      const waiter = this.pending.get(id);
      if (!waiter) return;
      this.pending.delete(id);
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
      return;
    }
    const handler = [...this.served].find(([node]) => this.channelOf(node) === channel)?.[1];
    if (!handler || message === PROBE) return;
    const envelope = JSON.parse(message) as Envelope;
    void runToReply(() => handler(envelope.request), this.log, envelope.request)
      .then((reply) => this.publish(envelope.replyTo, JSON.stringify({ id: envelope.id, reply })))
      .catch((err: unknown) => this.log.error({ err, tenant: envelope.request.tenant, classId: envelope.request.classId }, "media: reply not sent"));
  }

  async serve(nodeId: string, handler: (request: MediaRequest) => Promise<unknown>): Promise<() => Promise<void>> {
    this.served.set(nodeId, handler);
    await this.subReady;
    await this.subscribe(this.channelOf(nodeId));
    return async () => {
      this.served.delete(nodeId);
      await this.unsubscribe(this.channelOf(nodeId));
    };
  }

  async call(nodeId: string, request: MediaRequest, timeoutMs: number): Promise<unknown> {
    this.ready ??= this.subReady.then(() => this.subscribe(this.replyChannel));
    await this.ready;
    const id = randomUUID();
    const reply = new Promise<RpcReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ error: new AppError(ErrorCode.Timeout, "the media node did not answer in time").toBody() });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
    const receivers = await this.publish(this.channelOf(nodeId), JSON.stringify({ id, replyTo: this.replyChannel, request } satisfies Envelope));
    if (receivers === 0) {
      const waiter = this.pending.get(id);
      clearTimeout(waiter?.timer);
      this.pending.delete(id);
      throw new AppError(ErrorCode.MediaUnavailable, `media node ${nodeId} is not serving`);
    }
    return unwrapReply(await reply);
  }

  async serving(nodeId: string): Promise<boolean> {
    return (await this.publish(this.channelOf(nodeId), PROBE)) > 0;
  }

  async close(): Promise<void> {
    for (const w of this.pending.values()) clearTimeout(w.timer);
    this.pending.clear();
    this.sub.disconnect();
  }
}
