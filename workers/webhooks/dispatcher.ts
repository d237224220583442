import type { EventBus } from "../../core/bus/event-bus";
import type { WebhookOptions } from "../../core/config";
import { newEvent, publishEvents } from "../../core/contracts/streams";
import { defaultLogger, type Logger } from "../../core/log";
import type { Metrics } from "../../core/metrics/registry";
import { stableUuid } from "../../core/stable-id";
import { retryDelayMs } from "../../core/webhooks/schedule";
import type { DeliveryRow, WebhookStore } from "../../db/stores/webhooks";
import { DeliveredRecorder } from "./recorder";
import type { SendOutcome, WebhookSender } from "./sender";

/**
 * How long a claimed delivery is reserved for the worker that claimed it: two attempt timeouts and 5 s
 * (an attempt, then recording it). When a worker dies, its claimed deliveries are retried after this.
 */
/** Deliveries of one (endpoint, key) leased and sent in a row by one worker. */
const RUN_LENGTH = 50;

export const leaseMsOf = (options: Pick<WebhookOptions, "timeoutMs">): number => 2 * options.timeoutMs + 5_000;

export interface DispatcherDeps {
  store: WebhookStore;
  sender: Pick<WebhookSender, "send">;
  bus: EventBus;
  options: WebhookOptions;
  metrics?: Metrics;
  log?: Logger;
}

/**
 * Delivers queued webhook deliveries (db/stores/webhooks.ts) and retries failed ones on schedule.
 *
 * Guarantees:
 * - At least once: a delivery leaves the queue only after a 2xx answer was recorded, or as dead after the
 *   last attempt of the retry schedule; a claim is a lease, so deliveries of a worker that dies are
 *   attempted again when the lease runs out.
 * - Per (endpoint, order key) order: only the oldest pending delivery of a key is attempted; a later one
 *   waits for it to be delivered or dead.
 * - Isolation: at most `perEndpointConcurrency` attempts of an endpoint (one, while its last attempt
 *   failed: a circuit breaker's probe) and `perTenantConcurrency` of a school are in flight; attempts run concurrently and are bounded by `timeoutMs`, so a slow or dead
 *   endpoint holds only its own slots and never delays another endpoint's or school's deliveries.
 * - An endpoint failing `disableAfterFailures` attempts in a row over at least `disableAfterMs` is disabled
 *   (its pending deliveries wait for it to be enabled again; events while it is disabled are not queued for
 *   it) and the school's administrators get a notification.
 */
export class WebhookDispatcher {
  private readonly log: Logger;
  private readonly perEndpoint = new Map<string, number>();
  private readonly perTenant = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private readonly inflight = new Set<Promise<void>>();
  private readonly recorder: DeliveredRecorder;
  /** Endpoints (`tenant/id`) whose last attempt failed: one run at a time probes them until one succeeds. */
  private readonly failing = new Set<string>();

  constructor(private readonly deps: DispatcherDeps) {
    this.log = (deps.log ?? defaultLogger()).child({ component: "webhooks" });
    this.recorder = new DeliveredRecorder(deps.store);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks for due deliveries now (new ones were queued, or a slot freed). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming and waits for the attempts in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.inflight]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      try {
        await this.tick();
      } catch (err) {
        this.log.error({ err }, "webhooks: scheduling failed; retrying");
      }
      if (!this.running) break;
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.options.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  /** One pass: for each school with due deliveries and free slots, claim what its free slots allow. */
  private async tick(): Promise<void> {
    const { options, store } = this.deps;
    const tenants = await store.dueTenants();
    await Promise.all(
      tenants.map(async (tenant) => {
        const free = options.perTenantConcurrency - (this.perTenant.get(tenant) ?? 0);
        if (free <= 0) return;
        // an endpoint at its bound, or failing and already probed by one run, gets no more now
        const busy = [...this.perEndpoint]
          .filter(([key, n]) => key.startsWith(`${tenant}/`) && (n >= options.perEndpointConcurrency || this.failing.has(key)))
          .map(([key]) => key.slice(tenant.length + 1));
        const claimed = await store.claim(tenant, { limit: free, perEndpoint: options.perEndpointConcurrency, busy, leaseMs: leaseMsOf(options), runLength: RUN_LENGTH });
        const runs = new Map<string, typeof claimed>();
        for (const row of claimed) {
          const key = `${row.endpointId}\n${row.orderKey}`;
          const run = runs.get(key);
          if (run) run.push(row);
          else runs.set(key, [row]);
        }
        const lost: string[] = [];
        for (const run of runs.values()) {
          if (run[0]?.head) this.attempt(tenant, run);
          else lost.push(...run.map((r) => r.id)); // another worker won this key's head
        }
        await store.release(tenant, lost);
      }),
    );
  }

  private slot(map: Map<string, number>, key: string, delta: number): void {
    const n = (map.get(key) ?? 0) + delta;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  }

  /** Sends a run (one endpoint and key, in order) in one slot of the endpoint and the school. */
  private attempt(tenant: string, run: DeliveryRow[]): void {
    const endpointKey = `${tenant}/${(run[0] as DeliveryRow).endpointId}`;
    this.slot(this.perEndpoint, endpointKey, 1);
    this.slot(this.perTenant, tenant, 1);
    const work = this.deliverRun(tenant, run)
      .catch((err: unknown) => this.log.error({ err, tenant }, "webhooks: recording an attempt failed (the lease will retry it)"))
      .finally(() => {
        this.slot(this.perEndpoint, endpointKey, -1);
        this.slot(this.perTenant, tenant, -1);
        this.inflight.delete(work);
        this.wake();
      });
    this.inflight.add(work);
  }

  /**
   * Sends a run's deliveries one after the other, each recorded before the next is sent. It stops at the
   * first failure (recorded with its retry time) or when half the lease has gone, and gives the rest back.
   */
  private async deliverRun(tenant: string, run: DeliveryRow[]): Promise<void> {
    const recording: Array<Promise<void>> = [];
    try {
      await this.sendRun(tenant, run, recording);
    } finally {
      await Promise.all(recording);
    }
  }

  private async sendRun(tenant: string, run: DeliveryRow[], recording: Array<Promise<void>>): Promise<void> {
    const { store } = this.deps;
    const until = Date.now() + leaseMsOf(this.deps.options) / 2;
    for (let i = 0; i < run.length; i++) {
      if (!this.running || (i > 0 && Date.now() > until)) {
        await store.release(tenant, run.slice(i).map((d) => d.id));
        return;
      }
      if (!(await this.deliver(run[i] as DeliveryRow, recording))) {
        await store.release(tenant, run.slice(i + 1).map((d) => d.id));
        return;
      }
    }
  }

  /** One attempt, recorded; true when delivered. */
  private async deliver(delivery: DeliveryRow, recording: Array<Promise<void>>): Promise<boolean> {
    const { sender, metrics } = this.deps;
    const body = JSON.stringify(delivery.payload);
    const eventId = typeof delivery.payload.id === "string" ? delivery.payload.id : delivery.id;
    const outcome = await sender.send(delivery, body, {
      "interlinked-event-id": eventId,
      "interlinked-event-type": delivery.eventType,
      "interlinked-delivery-attempt": String(delivery.attempts),
    });
    metrics?.webhookAttemptSeconds.observe(outcome.latencyMs / 1000);
    const endpointKey = `${delivery.tenant}/${delivery.endpointId}`;
    if (outcome.ok) {
      this.failing.delete(endpointKey);
      metrics?.webhookAttempts.inc({ outcome: "delivered" });
      // recorded in the background (batched); the run waits for its records before it frees its slot
      recording.push(this.recorder.record(delivery.tenant, { id: delivery.id, endpointId: delivery.endpointId, status: outcome.status ?? 200, latencyMs: outcome.latencyMs }));
      return true;
    }
    this.failing.add(endpointKey);
    if (this.failing.size > 100_000) this.failing.clear();
    await this.failed(delivery, outcome);
    return false;
  }

  private async failed(delivery: DeliveryRow, outcome: SendOutcome): Promise<void> {
    const { store, options, metrics } = this.deps;
    const delay = retryDelayMs(options.retryScheduleMs, delivery.attempts);
    const retryAt = delay === undefined ? undefined : new Date(Date.now() + delay);
    metrics?.webhookAttempts.inc({ outcome: retryAt ? "retry" : "dead" });
    const { streak, failingSince } = await store.failed(delivery.tenant, delivery, { status: outcome.status, error: outcome.error, latencyMs: outcome.latencyMs, retryAt });
    if (!retryAt) {
      this.log.warn({ tenant: delivery.tenant, endpoint: delivery.endpointId, delivery: delivery.id, attempts: delivery.attempts, error: outcome.error }, "webhooks: delivery dead after its last attempt (redeliver over REST)");
    }
    if (streak >= options.disableAfterFailures && Date.now() - failingSince.getTime() >= options.disableAfterMs) {
      await this.disable(delivery, streak, failingSince, outcome.error);
    }
  }

  private async disable(delivery: DeliveryRow, streak: number, failingSince: Date, lastError: string): Promise<void> {
    const { store, bus } = this.deps;
    const reason = `${streak} failed attempts in a row since ${failingSince.toISOString()} (last: ${lastError})`.slice(0, 500);
    if (!(await store.disable(delivery.tenant, delivery.endpointId, reason))) return;
    this.log.warn({ tenant: delivery.tenant, endpoint: delivery.endpointId, reason }, "webhooks: endpoint disabled");
    const admins = await store.admins(delivery.tenant);
    if (admins.length === 0) {
      this.log.warn({ tenant: delivery.tenant, endpoint: delivery.endpointId }, "webhooks: no administrator known to notify of the disabled endpoint");
      return;
    }
    const id = stableUuid(`webhook-disabled:${delivery.tenant}:${delivery.endpointId}:${failingSince.toISOString()}`);
    const event = newEvent(
      "notification.created",
      delivery.tenant,
      {
        users: admins,
        title: "Webhook endpoint disabled",
        body: `The webhook endpoint ${delivery.url} was disabled: ${reason}. Fix it, then enable it again (PATCH /v1/webhooks/${delivery.endpointId} {"enabled": true}): its pending deliveries resume; events of the time it was disabled are not sent.`.slice(0, 4_000),
        data: { kind: "webhook.disabled", endpointId: delivery.endpointId, url: delivery.url.slice(0, 2_000) },
      },
      id,
    );
    await publishEvents(bus, "notifications", [event]);
  }
}
