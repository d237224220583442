import type { RedisClient } from "../../core/redis-client";
import type { EventBus, Subscription } from "../../core/bus/event-bus";
import { notificationDefaults, type NotificationOptions } from "../../core/config";
import type { Logger } from "../../core/log";
import type { Metrics } from "../../core/metrics/registry";
import type { NotificationDeliveryStore } from "../../db/stores/notification-deliveries";
import type { NotificationPreferenceStore } from "../../db/stores/notification-preferences";
import type { NotificationChannel } from "./channel";
import { SmtpEmailChannel } from "./email-smtp";
import { MailRateLimit } from "./mail-rate";
import { startDeliveryPlanner, type OnlineState } from "./planner";
import { WebPushChannel } from "./push-web";
import { DeliveryScheduler } from "./scheduler";

export interface DeliveryDeps {
  bus: EventBus;
  preferences: NotificationPreferenceStore;
  deliveries: NotificationDeliveryStore;
  presence: OnlineState;
  options?: NotificationOptions;
  /** Redis for the cluster-wide mail rate count; absent → per process. */
  redis?: RedisClient;
  keyPrefix: string;
  log: Logger;
  metrics?: Metrics;
}

/** The running outbound delivery of a workers process: the planner's consumer and the scheduler. */
export interface RunningDelivery {
  channels: { email: boolean; push: boolean };
  close(): Promise<void>;
}

/** Starts outbound notification delivery; channels without settings are off, and the log says so. */
export async function startNotificationDelivery(deps: DeliveryDeps): Promise<RunningDelivery> {
  const options = deps.options ?? notificationDefaults;
  const channels: Partial<Record<"email" | "push", NotificationChannel>> = {};
  if (options.smtp) channels.email = new SmtpEmailChannel(options.smtp);
  if (options.vapid) {
    channels.push = new WebPushChannel(options.vapid, async (d) => {
      await deps.preferences.removePushSubscription(d.tenant, d.user, d.target);
    });
  }
  const enabled = { email: Boolean(channels.email), push: Boolean(channels.push) };
  const off = [!enabled.email && "email (SMTP_URL not set)", !enabled.push && "web push (VAPID_* not set)"].filter(Boolean);
  if (off.length > 0) deps.log.info({ off }, `notifications: outbound channel(s) off: ${off.join(", ")}`);
  let planner: Subscription | undefined;
  const scheduler = new DeliveryScheduler({
    deliveries: deps.deliveries,
    channels,
    mailRate: new MailRateLimit(options.mailPerMinute, deps.redis, deps.keyPrefix),
    retry: { attempts: options.retryAttempts, baseMs: options.retryBaseMs, maxMs: options.retryMaxMs },
    pollMs: options.pollMs,
    leaseMs: options.leaseMs,
    log: deps.log,
    metrics: deps.metrics,
  });
  const closeChannels = () => Promise.allSettled(Object.values(channels).map((c) => c.close()));
  if (enabled.email || enabled.push) {
    try {
      planner = await startDeliveryPlanner({ bus: deps.bus, preferences: deps.preferences, deliveries: deps.deliveries, presence: deps.presence, enabled, log: deps.log });
    } catch (err) {
      await closeChannels();
      throw err;
    }
    scheduler.start();
  }
  return {
    channels: enabled,
    close: async () => {
      await planner?.close();
      await scheduler.close();
      await closeChannels();
    },
  };
}
