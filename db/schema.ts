import { bigint, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** Every room message, once: keyed by (tenant, id); (tenant, room, seq) is the room's order. */
export const roomMessages = pgTable(
  "room_messages",
  {
    tenantId: text("tenant_id").notNull(),
    id: uuid("id").notNull(),
    room: text("room").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    userId: text("user_id").notNull(),
    text: text("text").notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }).notNull(),
    storedAt: timestamp("stored_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("room_messages_room_seq").on(t.tenantId, t.room, t.seq),
    index("room_messages_stored_at").on(t.storedAt),
  ],
);
