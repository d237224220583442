import { and, eq, inArray } from "drizzle-orm";
import type { RoomMessageCreated, RoomMessageDeleted, RoomMessageEdited } from "../../core/contracts/events";
import type { Database } from "../database";
import { roomMessages } from "../schema";

/** Inserts created messages once; conflicts only on identity, so a taken seq with another id fails loudly. */
export async function insertRoomMessages(tx: Database, events: RoomMessageCreated[]): Promise<number> {
  if (events.length === 0) return 0;
  const inserted = await tx
    .insert(roomMessages)
    .values(
      events.map((ev) => ({
        tenantId: ev.tenant,
        id: ev.id,
        room: ev.data.room,
        seq: ev.data.seq,
        userId: ev.data.user,
        text: ev.data.text,
        sentAt: new Date(ev.at),
      })),
    )
    .onConflictDoNothing({ target: [roomMessages.tenantId, roomMessages.id] })
    .returning({ id: roomMessages.id });
  return inserted.length;
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
