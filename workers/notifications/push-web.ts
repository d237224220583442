import { Agent } from "node:https";
import webpush from "web-push";
import type { DueDelivery } from "../../db/stores/notification-deliveries";
import { ChannelError, type NotificationChannel, type OutboundNotification } from "./channel";

export interface VapidOptions {
  publicKey: string;
  privateKey: string;
  /** mailto: or https: contact of the sender (RFC 8292 `sub`). */
  subject: string;
  /** Extra trusted CA (PEM) for push services with a private certificate. */
  extraCaPem?: string;
  /** Push message TTL, seconds. Default 86,400. */
  ttlSeconds?: number;
}

/** Keys of a push subscription, carried in the delivery payload. */
export interface PushKeys {
  p256dh: string;
  auth: string;
}

/**
 * Web push (RFC 8030) with an aes128gcm-encrypted payload (RFC 8291) and VAPID (RFC 8292), by the
 * `web-push` package. The delivery's target is the subscription endpoint; its payload carries the keys.
 * 404/410 from the push service mean the subscription is gone: permanent, and `onGone` is told.
 */
export class WebPushChannel implements NotificationChannel {
  readonly name = "push" as const;
  private readonly agent?: Agent;

  constructor(
    private readonly options: VapidOptions,
    private readonly onGone: (delivery: DueDelivery) => Promise<void> = async () => undefined,
  ) {
    if (options.extraCaPem) this.agent = new Agent({ ca: options.extraCaPem, keepAlive: true });
  }

  async send(delivery: DueDelivery, n: OutboundNotification): Promise<void> {
    const keys = delivery.payload.keys as PushKeys | undefined;
    if (!keys) throw new ChannelError("push: delivery without subscription keys", true);
    const body = JSON.stringify({ id: n.id, title: n.title, body: n.body, ...(n.feed ? { feed: n.feed } : {}), ...(n.data ? { data: n.data } : {}), createdAt: n.createdAt });
    try {
      await webpush.sendNotification({ endpoint: delivery.target, keys }, body, {
        vapidDetails: { subject: this.options.subject, publicKey: this.options.publicKey, privateKey: this.options.privateKey },
        contentEncoding: "aes128gcm",
        TTL: this.options.ttlSeconds ?? 86_400,
        timeout: 10_000,
        ...(this.agent ? { agent: this.agent } : {}),
      });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) {
        await this.onGone(delivery);
        throw new ChannelError(`push: subscription gone (${status})`, true, { cause: err });
      }
      const permanent = status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408;
      throw new ChannelError(`push: ${status ? `push service answered ${status}` : err instanceof Error ? err.message : String(err)}`, permanent, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.agent?.destroy();
  }
}
