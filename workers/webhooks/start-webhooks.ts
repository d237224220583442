import type { EventBus } from "../../core/bus/event-bus";
import type { WebhookOptions } from "../../core/config";
import type { Logger } from "../../core/log";
import type { Metrics } from "../../core/metrics/registry";
import type { WebhookStore } from "../../db/stores/webhooks";
import { startWebhookConsumers } from "./consumer";
import { WebhookDispatcher } from "./dispatcher";
import { WebhookSender } from "./sender";

/** The webhook worker of a process: the consumers that queue deliveries and the dispatcher that sends them. */
export async function startWebhooks(deps: { bus: EventBus; store: WebhookStore; options: WebhookOptions; metrics?: Metrics; log?: Logger }): Promise<{ close(): Promise<void> }> {
  const sender = new WebhookSender({ timeoutMs: deps.options.timeoutMs, allowPrivate: deps.options.allowPrivate });
  const dispatcher = new WebhookDispatcher({ store: deps.store, sender, bus: deps.bus, options: deps.options, metrics: deps.metrics, log: deps.log });
  dispatcher.start();
  let subscriptions;
  try {
    subscriptions = await startWebhookConsumers({ bus: deps.bus, store: deps.store, onQueued: () => dispatcher.wake(), log: deps.log });
  } catch (err) {
    await dispatcher.stop();
    sender.close();
    throw err;
  }
  const subs = subscriptions;
  return {
    close: async () => {
      await Promise.allSettled(subs.map((s) => s.close()));
      await dispatcher.stop();
      sender.close();
    },
  };
}
