import { and, eq } from "drizzle-orm";
import type { RoomMemberJoined, RoomMemberLeft } from "../../core/contracts/events";
import type { Database } from "../database";
import { roomMembers } from "../schema";

export async function addRoomMembers(tx: Database, events: RoomMemberJoined[]): Promise<void> {
  await tx
    .insert(roomMembers)
    .values(events.map((ev) => ({ tenantId: ev.tenant, room: ev.data.room, userId: ev.data.user, joinedAt: new Date(ev.at) })))
    .onConflictDoNothing();
}

export async function removeRoomMembers(tx: Database, events: RoomMemberLeft[]): Promise<void> {
  for (const ev of events) {
    await tx
      .delete(roomMembers)
      .where(and(eq(roomMembers.tenantId, ev.tenant), eq(roomMembers.room, ev.data.room), eq(roomMembers.userId, ev.data.user)));
  }
}
