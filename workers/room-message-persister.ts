import type { BusRecord, EventBus, Subscription } from "../core/bus/event-bus";
import { Topics, roomMessageEventSchema, type RoomMessageEvent } from "../core/events";
import type { RoomMessageStore } from "../db/room-message-store";

export const ROOM_MESSAGE_PERSISTER_GROUP = "room-message-persister";

/** Parses bus records; an unparseable one is reported and skipped (a dead-letter topic comes with the pipeline issue). */
export function parseRoomMessages(records: BusRecord[], onInvalid: (record: BusRecord, reason: string) => void): RoomMessageEvent[] {
  const events: RoomMessageEvent[] = [];
  for (const record of records) {
    let json: unknown;
    try {
      json = JSON.parse(record.value);
    } catch {
      onInvalid(record, "not JSON");
      continue;
    }
    const parsed = roomMessageEventSchema.safeParse(json);
    if (parsed.success) events.push(parsed.data);
    else onInvalid(record, parsed.error.issues[0]?.message ?? "invalid");
  }
  return events;
}

/**
 * Consumes room messages and stores each exactly once: delivery is at least once, the store's insert
 * is idempotent on (tenant, id). A failed insert fails the batch, which the bus redelivers.
 */
export function startRoomMessagePersister(bus: EventBus, store: RoomMessageStore): Promise<Subscription> {
  return bus.subscribe({
    group: ROOM_MESSAGE_PERSISTER_GROUP,
    topic: Topics.roomMessages,
    handler: async (records) => {
      const events = parseRoomMessages(records, (record, reason) => {
        console.error(`[workers] skipped invalid room message (key ${record.key}): ${reason}`);
      });
      await store.insert(events);
    },
  });
}
