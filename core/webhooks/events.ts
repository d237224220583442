import type { StreamEvent, StreamName } from "../contracts/streams";

/** Every event type a school's webhook endpoint may subscribe to (docs/WEBHOOKS.md lists the payloads). */
export const WEBHOOK_EVENT_TYPES = [
  "room.member.joined",
  "room.member.left",
  "room.message.created",
  "room.message.deleted",
  "conversation.message.created",
  "class.started",
  "class.ended",
  "class.attendance",
  "presence.online",
  "presence.offline",
  "quota.warning",
  "quota.refused",
  "notification.created",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * What an endpoint receives as the request body. `id` is stable: the id of the bus event it comes from,
 * the same on every attempt and for every endpoint, so a receiver deduplicates on it.
 */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  tenant: string;
  /** When the fact happened (the source event's time), ISO 8601. */
  createdAt: string;
  data: Record<string, unknown>;
}

/** A webhook event and the key it is ordered by (per endpoint): the source record's key. */
export interface KeyedWebhookEvent {
  event: WebhookEvent;
  orderKey: string;
}

/** The webhook events of one bus event (none for types that are not offered, e.g. receipts and edits). Presence is derived elsewhere (it needs session counts). */
export function webhookEventsOf<S extends StreamName>(stream: S, ev: StreamEvent<S>, orderKey: string): KeyedWebhookEvent[] {
  const base = { id: ev.id, tenant: ev.tenant, createdAt: ev.at };
  const one = (type: WebhookEventType, data: object): KeyedWebhookEvent[] => [{ event: { ...base, type, data: { ...data } }, orderKey }];
  const e = ev as StreamEvent<StreamName>;
  switch (e.type) {
    case "room.member.joined":
    case "room.member.left":
    case "room.message.deleted":
    case "class.attendance":
    case "class.started":
    case "class.ended":
    case "notification.created":
      return one(e.type, e.data);
    case "room.message.created":
      return one(e.type, { room: e.data.room, seq: e.data.seq, user: e.data.user, text: e.data.text, messageId: e.id });
    case "chat.message.created":
      return one("conversation.message.created", { conversationId: e.data.conversationId, seq: e.data.seq, user: e.data.user, text: e.data.text, messageId: e.id });
    case "quota.event":
      return one(e.data.kind === "warning" ? "quota.warning" : "quota.refused", { quota: e.data.quota, used: e.data.used, limit: e.data.limit });
    default:
      return [];
  }
}
