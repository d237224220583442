import { and, eq, inArray, sql } from "drizzle-orm";
import type { RoomMessageCreated, RoomMessageDeleted, RoomMessageEdited } from "../../core/contracts/events";
import type { Database } from "../database";
import { roomMessages } from "../schema";

/**
 * Inserts created messages once; conflicts only on identity, so a taken seq with another id fails loudly.
 * The hot path of the pipeline: one statement with one JSON parameter however many rows (building a
 * multi-row insert with the query builder cost more CPU than the database did).
 */
export async function insertRoomMessages(tx: Database, events: RoomMessageCreated[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = JSON.stringify(events.map((ev) => [ev.tenant, ev.id, ev.data.room, ev.data.seq, ev.data.user, ev.data.text, ev.at]));
  const result = await tx.execute(sql`
    insert into room_messages (tenant_id, id, room, seq, user_id, text, sent_at)
    select r->>0, (r->>1)::uuid, r->>2, (r->>3)::bigint, r->>4, r->>5, (r->>6)::timestamptz
    from jsonb_array_elements(${rows}::jsonb) as r
    on conflict (tenant_id, id) do nothing
    returning id`);
  return (result as unknown as { rows: unknown[] }).rows.length;
}

/** Applies an edit (idempotent: same text and time again). */
export async function editRoomMessage(tx: Database, ev: RoomMessageEdited): Promise<void> {
  await tx
    .update(roomMessages)
    .set({ text: ev.data.text, editedAt: new Date(ev.at) })
    .where(and(eq(roomMessages.tenantId, ev.tenant), eq(roomMessages.id, ev.data.messageId)));
}

/** Soft-deletes messages (text cleared, row and seq kept so history has no holes). */
export async function deleteRoomMessages(tx: Database, events: RoomMessageDeleted[]): Promise<void> {
  for (const ev of events) {
    await tx
      .update(roomMessages)
      .set({ text: "", deletedAt: new Date(ev.at) })
      .where(and(eq(roomMessages.tenantId, ev.tenant), inArray(roomMessages.id, [ev.data.messageId])));
  }
}
