import { randomUUID } from "node:crypto";
import type { EventBus, Subscription } from "../../core/bus/event-bus";
import { streams } from "../../core/contracts/streams";
import type { NotificationCreated } from "../../core/contracts/events";
import type { Logger } from "../../core/log";
import { outboundChannels, quietUntil } from "../../core/notification-preferences";
import type { NewDelivery, NotificationDeliveryStore } from "../../db/stores/notification-deliveries";
import type { NotificationPreferenceStore } from "../../db/stores/notification-preferences";
import { parseRecords } from "../parse-records";
import type { OutboundNotification } from "./channel";

/** The consumer group of the outbound planner (its own offsets, apart from the persister's). */
export const DELIVERY_GROUP = "deliver-notifications";

/** Cluster-wide online state (the realtime tier's presence store satisfies it). */
export interface OnlineState {
  statuses(tenant: string, users: string[]): Promise<Record<string, "online" | "away" | "offline">>;
}

export interface PlannerDeps {
  bus: EventBus;
  preferences: NotificationPreferenceStore;
  deliveries: NotificationDeliveryStore;
  presence: OnlineState;
  /** Channels that are configured on this deployment (others are never planned). */
  enabled: { email: boolean; push: boolean };
  log: Logger;
  now?: () => Date;
}

/**
 * Plans one notification's outbound deliveries: per recipient, the channels their preferences enable
 * (only when offline, unless they chose every channel when online), held until their quiet hours end.
 */
export async function planDeliveries(deps: Omit<PlannerDeps, "bus" | "log">, ev: NotificationCreated): Promise<NewDelivery[]> {
  const now = deps.now?.() ?? new Date();
  const { users, feed } = ev.data;
  const { prefs, kind } = await deps.preferences.forNotification(ev.tenant, users, feed);
  const statuses = await deps.presence.statuses(ev.tenant, users);
  const plans = users.map((user) => {
    const p = prefs.get(user)!;
    const online = (statuses[user] ?? "offline") !== "offline";
    const channels = outboundChannels(p, feed, online, kind).filter((c) => deps.enabled[c]);
    return { user, prefs: p, channels };
  });
  const pushUsers = plans.filter((p) => p.channels.includes("push")).map((p) => p.user);
  const subs = await deps.preferences.pushSubscriptionsOf(ev.tenant, pushUsers);
  const notification: OutboundNotification = { id: ev.id, tenant: ev.tenant, ...(feed ? { feed } : {}), title: ev.data.title, body: ev.data.body, ...(ev.data.data ? { data: ev.data.data } : {}), createdAt: ev.at };
  const out: NewDelivery[] = [];
  for (const { user, prefs: p, channels } of plans) {
    const notBefore = quietUntil(p, now) ?? now;
    const base = { tenant: ev.tenant, notificationId: ev.id, user, notBefore };
    if (channels.includes("email") && p.email) out.push({ ...base, id: randomUUID(), channel: "email", target: p.email, payload: { notification } });
    if (channels.includes("push")) {
      for (const s of subs.get(user) ?? []) out.push({ ...base, id: randomUUID(), channel: "push", target: s.endpoint, payload: { notification, keys: { p256dh: s.p256dh, auth: s.auth } } });
    }
  }
  return out;
}

/**
 * The outbound planner: a consumer group of its own on the `notifications` topic that turns each
 * notification into persisted deliveries (the scheduler sends them). A batch that fails to plan is
 * rejected and redelivered by the bus; enqueueing is idempotent, so replays add nothing.
 */
export function startDeliveryPlanner(deps: PlannerDeps): Promise<Subscription> {
  const log = deps.log.child({ worker: DELIVERY_GROUP });
  return deps.bus.subscribe({
    group: DELIVERY_GROUP,
    topic: streams.notifications.topic,
    handler: async (records) => {
      // invalid records are the persister's to dead-letter; here they are skipped
      const { valid } = parseRecords("notifications", records);
      const planned: NewDelivery[] = [];
      for (const { event } of valid) planned.push(...(await planDeliveries(deps, event as NotificationCreated)));
      await deps.deliveries.enqueue(planned);
      if (planned.length > 0) log.debug({ deliveries: planned.length }, "notifications: outbound deliveries planned");
    },
  });
}
