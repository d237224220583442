import type { Logger } from "../../core/log";
import type { Metrics } from "../../core/metrics/registry";
import type { DueDelivery, NotificationDeliveryStore } from "../../db/stores/notification-deliveries";
import { retryDelayMs, type RetrySchedule } from "./backoff";
import { ChannelError, type NotificationChannel, type OutboundNotification } from "./channel";
import type { MailRateLimit } from "./mail-rate";

export interface SchedulerOptions {
  deliveries: NotificationDeliveryStore;
  channels: Partial<Record<"email" | "push", NotificationChannel>>;
  mailRate: MailRateLimit;
  retry: RetrySchedule;
  /** How often due rows are polled, ms. */
  pollMs: number;
  /** How long a claimed row stays hidden from other nodes while it is being sent, ms. */
  leaseMs: number;
  /** Rows claimed per poll. Default 20. */
  batch?: number;
  log: Logger;
  metrics?: Metrics;
  now?: () => Date;
}

/**
 * Sends due deliveries: polls PostgreSQL for due rows (`FOR UPDATE SKIP LOCKED`, so several worker nodes
 * share the work without sending a row twice), sends each through its channel, and records the outcome —
 * delivered; retried later with exponential backoff and jitter; deferred without an attempt while the
 * school is over its mail rate; dead-lettered (status `dead`, logged) once the schedule is spent or the
 * failure is permanent.
 */
export class DeliveryScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: SchedulerOptions) {
    this.log = options.log.child({ worker: "notification-scheduler" });
  }

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then((full) => this.schedule(full ? 0 : this.options.pollMs))
        .catch((err: unknown) => {
          this.log.error({ err }, "notifications: delivery poll failed");
          this.schedule(this.options.pollMs);
        });
    }, ms);
    this.timer.unref?.();
  }

  /** One poll: claims and sends due rows; true when the batch was full (more may be due). */
  async tick(): Promise<boolean> {
    const now = this.options.now?.() ?? new Date();
    const batch = this.options.batch ?? 20;
    const due = await this.options.deliveries.claimDue(now, batch, this.options.leaseMs);
    await Promise.all(due.map((d) => this.attempt(d)));
    return due.length === batch;
  }

  private count(d: DueDelivery, outcome: "delivered" | "retried" | "deferred" | "dead"): void {
    this.options.metrics?.notificationDeliveries.inc({ channel: d.channel, outcome });
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const store = this.options.deliveries;
    const now = () => this.options.now?.() ?? new Date();
    const channel = this.options.channels[d.channel];
    if (!channel) {
      await store.dead(d, now(), `channel ${d.channel} is not configured`, false);
      this.count(d, "dead");
      return;
    }
    if (d.channel === "email") {
      const wait = await this.options.mailRate.take(d.tenant);
      if (wait > 0) {
        await store.deferTo(d, new Date(now().getTime() + wait));
        this.count(d, "deferred");
        return;
      }
    }
    try {
      await channel.send(d, d.payload.notification as OutboundNotification);
      await store.delivered(d, now());
      this.count(d, "delivered");
    } catch (err) {
      if (d.channel === "email") await this.options.mailRate.giveBack(d.tenant);
      const reason = err instanceof Error ? err.message : String(err);
      const permanent = err instanceof ChannelError && err.permanent;
      const failed = d.attempts + 1;
      if (permanent || failed >= this.options.retry.attempts) {
        await store.dead(d, now(), reason, true);
        this.count(d, "dead");
        this.log.error({ tenant: d.tenant, delivery: d.id, channel: d.channel, attempts: failed, reason }, "notifications: delivery dead-lettered");
      } else {
        await store.retryAt(d, new Date(now().getTime() + retryDelayMs(this.options.retry, failed)), reason);
        this.count(d, "retried");
        this.log.warn({ tenant: d.tenant, delivery: d.id, channel: d.channel, attempts: failed, reason }, "notifications: delivery failed, will retry");
      }
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
