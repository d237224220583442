import type { BusRecord, EventBus, Subscription } from "../../core/bus/event-bus";
import { streams, type StreamEvent, type StreamName } from "../../core/contracts/streams";
import { defaultLogger, type Logger } from "../../core/log";
import { orderingKeys } from "../../core/tenant-keys";
import { webhookEventsOf, type KeyedWebhookEvent } from "../../core/webhooks/events";
import { byTenant } from "../../db/tenant-scope";
import { deliveryIdOf, type NewDelivery, type WebhookStore, type WebhookTarget } from "../../db/stores/webhooks";
import { parseRecords } from "../parse-records";

/** The streams webhooks are made from (every stream but none: receipts and edits are simply not offered). */
export const WEBHOOK_SOURCE_STREAMS: readonly StreamName[] = ["roomMessages", "memberships", "chat", "presence", "notifications", "attendance", "classes", "quota"];

/** The consumer group of the webhook consumer of a stream (apart from the persisters: its own offsets, its own pace). */
export const webhookGroup = (stream: StreamName): string => `webhooks-${stream}`;

/** How long a school's endpoint list is reused before it is read again (changes over REST apply within this). */
export const ENDPOINT_CACHE_MS = 1_000;

/** A per-tenant cache of enabled endpoints, read through on expiry. */
export class EndpointCache {
  private readonly cached = new Map<string, { targets: WebhookTarget[]; until: number }>();
  constructor(
    private readonly store: WebhookStore,
    private readonly ttlMs = ENDPOINT_CACHE_MS,
  ) {}

  async of(tenant: string): Promise<WebhookTarget[]> {
    const hit = this.cached.get(tenant);
    if (hit && hit.until > Date.now()) return hit.targets;
    const targets = await this.store.targets(tenant);
    this.cached.set(tenant, { targets, until: Date.now() + this.ttlMs });
    if (this.cached.size > 10_000) this.cached.delete(this.cached.keys().next().value as string);
    return targets;
  }
}

/**
 * Turns records of the source streams into queued deliveries: one per webhook event and subscribed
 * endpoint, with the stable id `<event id>.<endpoint id>` (a replayed record queues nothing new) and the
 * source record's key as the order key (presence: the user's ordering key, taken from the event, so a
 * user's online/offline stay ordered per user whether the record was keyed by user or, as now, by
 * tenant). Packed records are decoded by `parseRecords` into their events. A batch counts as consumed once its deliveries are durable in the
 * queue, so a worker killed mid-batch loses none (the bus redelivers the batch). Records that fail
 * validation are skipped here: the stream's persister dead-letters them.
 *
 * Presence: `presence.online` when a user's first open session starts, `presence.offline` when their
 * last one ends, counted from the session events themselves (webhook_sessions), not from the presence store.
 */
export async function startWebhookConsumers(deps: { bus: EventBus; store: WebhookStore; onQueued: () => void; log?: Logger }): Promise<Subscription[]> {
  const log = (deps.log ?? defaultLogger()).child({ component: "webhooks" });
  const endpoints = new EndpointCache(deps.store);

  const eventsOf = async <S extends StreamName>(stream: S, tenant: string, items: Array<{ record: BusRecord; event: StreamEvent<S> }>): Promise<KeyedWebhookEvent[]> => {
    if (stream !== "presence") return items.flatMap(({ record, event }) => webhookEventsOf(stream, event, record.key));
    const sessions = items.map(({ event }) => {
      const ev = event as StreamEvent<"presence">;
      return { user: ev.data.user, sessionId: ev.data.sessionId, kind: ev.type === "presence.session.started" ? ("started" as const) : ("ended" as const) };
    });
    const transitions = await deps.store.presenceTransitions(tenant, sessions);
    return items.flatMap(({ event }, i) => {
      const t = transitions[i];
      if (!t) return [];
      const ev = event as StreamEvent<"presence">;
      return [{ event: { id: ev.id, type: t === "online" ? ("presence.online" as const) : ("presence.offline" as const), tenant, createdAt: ev.at, data: { user: ev.data.user } }, orderKey: orderingKeys.user(tenant, ev.data.user) }];
    });
  };

  const subscriptions: Subscription[] = [];
  try {
    for (const stream of WEBHOOK_SOURCE_STREAMS) {
      subscriptions.push(
        await deps.bus.subscribe({
          group: webhookGroup(stream),
          topic: streams[stream].topic,
          handler: async (records) => {
            const { valid, invalid } = parseRecords(stream, records);
            if (invalid.length > 0) log.debug({ stream, invalid: invalid.length }, "webhooks: invalid records skipped (dead-lettered by the persister)");
            let queued = 0;
            for (const [tenant, items] of byTenant(valid.map((v) => ({ ...v, tenant: v.event.tenant })))) {
              const targets = await endpoints.of(tenant);
              if (targets.length === 0 && stream !== "presence") continue;
              const events = await eventsOf(stream, tenant, items);
              const deliveries: NewDelivery[] = [];
              for (const { event, orderKey } of events) {
                for (const target of targets) {
                  if (!target.events.includes(event.type)) continue;
                  deliveries.push({ id: deliveryIdOf(event.id, target.id), endpointId: target.id, eventType: event.type, orderKey, payload: { ...event } });
                }
              }
              await deps.store.enqueue(tenant, deliveries);
              queued += deliveries.length;
            }
            if (queued > 0) deps.onQueued();
          },
        }),
      );
    }
  } catch (err) {
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    throw err;
  }
  return subscriptions;
}
