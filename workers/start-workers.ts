import type { EventBus, Subscription } from "../core/bus/event-bus";
import { streams, type StreamName } from "../core/contracts/streams";
import type { NotificationCreated } from "../core/contracts/events";
import type { Logger } from "../core/log";
import type { Metrics } from "../core/metrics/registry";
import type { EventWriter } from "../db/event-writer";
import type { SocketFanout } from "../core/socket-fanout";
import { toNotificationDelivery } from "../core/notification-delivery";
import type { NotificationPreferenceStore } from "../db/stores/notification-preferences";
import { persisterGroup, startStreamConsumer } from "./stream-consumer";
import { WEBHOOK_SOURCE_STREAMS, webhookGroup } from "./webhooks/consumer";

/** Pushes stored notifications in-app to the recipients whose preferences keep in-app on for the feed. */
async function fanOutInApp(fanout: SocketFanout, events: NotificationCreated[], preferences: NotificationPreferenceStore | undefined, log: Logger | undefined): Promise<void> {
  for (const ev of events) {
    try {
      const users = preferences ? await preferences.wanting(ev.tenant, ev.data.users, "inApp", ev.data.feed) : ev.data.users;
      if (users.length > 0) fanout.toUsers(ev.tenant, users, "notification", toNotificationDelivery(ev));
    } catch (err) {
      log?.error({ err, tenant: ev.tenant }, "notifications: in-app fan-out failed (the stored notifications are read on connect)");
    }
  }
}

/** Starts one persisting consumer per stream; notifications are fanned out to sockets once stored. */
export async function startWorkers(deps: {
  bus: EventBus;
  writer: EventWriter;
  metrics: Metrics;
  fanout: SocketFanout;
  log?: Logger;
  /** Users' preferences: in-app pushes skip those who turned in-app off for the feed. Absent: everyone. */
  preferences?: NotificationPreferenceStore;
}): Promise<Subscription[]> {
  const subscriptions: Subscription[] = [];
  try {
    for (const stream of Object.keys(streams) as StreamName[]) {
      subscriptions.push(
        await startStreamConsumer({
          bus: deps.bus,
          stream,
          writer: deps.writer,
          metrics: deps.metrics,
          log: deps.log,
          afterWrite:
            stream === "notifications"
              ? (events) => void fanOutInApp(deps.fanout, events as NotificationCreated[], deps.preferences, deps.log)
              : undefined,
        }),
      );
    }
  } catch (err) {
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    throw err;
  }
  return subscriptions;
}

/** Refreshes the consumer-lag gauge of every persisting group and webhook group (called on each /metrics scrape). */
export async function collectConsumerLag(bus: EventBus, metrics: Metrics): Promise<void> {
  const groups = [
    ...(Object.keys(streams) as StreamName[]).map((stream) => ({ group: persisterGroup(stream), stream })),
    ...WEBHOOK_SOURCE_STREAMS.map((stream) => ({ group: webhookGroup(stream), stream })),
  ];
  await Promise.all(
    groups.map(async ({ group, stream }) => {
      const topic = streams[stream].topic;
      const lag = await bus.consumerLag(group, topic).catch(() => undefined);
      if (lag !== undefined) metrics.consumerLag.set({ group, topic }, lag);
    }),
  );
}
