import type { DeliveryChannel, DueDelivery } from "../../db/stores/notification-deliveries";

/** What every outbound message says: the notification as the user sees it in-app. */
export interface OutboundNotification {
  id: string;
  tenant: string;
  feed?: string;
  title: string;
  body: string;
  data?: Record<string, unknown>;
  createdAt: string;
}

/**
 * Why a send failed. `permanent`: retrying cannot help (the address is refused, the push subscription is
 * gone): the delivery is dead-lettered at once; otherwise it is retried on the backoff schedule.
 */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ChannelError";
  }
}

/**
 * One outbound notification channel (email over SMTP, web push). `send` resolves once the far side
 * accepted the message (SMTP 250, push service 201) and throws a ChannelError otherwise.
 */
export interface NotificationChannel {
  readonly name: DeliveryChannel;
  send(delivery: DueDelivery, notification: OutboundNotification): Promise<void>;
  close(): Promise<void>;
}
