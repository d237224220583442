import { and, asc, eq, gt, lt, max, sql } from "drizzle-orm";
import type { RoomMessageCreated } from "../core/contracts/events";
import type { Database } from "./database";
import type { RoomMessageStore, StoredRoomMessage } from "./room-message-store";
import { roomMessages } from "./schema";
import { byTenant, withTenant } from "./tenant-scope";
import { insertRoomMessages } from "./writers/room-messages";

/** RoomMessageStore on drizzle: the same code runs on PostgreSQL and on PGlite, under row-level security. */
export class DrizzleRoomMessageStore implements RoomMessageStore {
  constructor(private readonly db: Database) {}

  async insert(messages: RoomMessageCreated[]): Promise<number> {
    let inserted = 0;
    for (const [tenant, group] of byTenant(messages)) inserted += await withTenant(this.db, tenant, (tx) => insertRoomMessages(tx, group));
    return inserted;
  }

  list(tenant: string, room: string, options: { afterSeq: number; beforeSeq?: number; limit: number }): Promise<StoredRoomMessage[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(roomMessages)
        .where(
          and(
            eq(roomMessages.tenantId, tenant),
            eq(roomMessages.room, room),
            gt(roomMessages.seq, options.afterSeq),
            options.beforeSeq === undefined ? undefined : lt(roomMessages.seq, options.beforeSeq),
          ),
        )
        .orderBy(asc(roomMessages.seq))
        .limit(options.limit);
      return rows.map((r) => ({
        id: r.id,
        room: r.room,
        seq: r.seq,
        user: r.userId,
        text: r.text,
        sentAt: r.sentAt.toISOString(),
        editedAt: r.editedAt?.toISOString() ?? null,
        deleted: r.deletedAt !== null,
      }));
    });
  }

  maxSeq(tenant: string, room: string): Promise<number> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx
        .select({ value: max(roomMessages.seq) })
        .from(roomMessages)
        .where(and(eq(roomMessages.tenantId, tenant), eq(roomMessages.room, room)));
      return Number(row?.value ?? 0);
    });
  }

  /** One query for all the rooms, passed as one JSON parameter (not one parameter per room). */
  maxSeqs(tenant: string, rooms: string[]): Promise<Map<string, number>> {
    if (rooms.length === 0) return Promise.resolve(new Map());
    return withTenant(this.db, tenant, async (tx) => {
      const anyRoom = sql`any(array(select jsonb_array_elements_text(${JSON.stringify(rooms)}::jsonb)))`;
      const rows = await tx
        .select({ room: roomMessages.room, value: max(roomMessages.seq) })
        .from(roomMessages)
        .where(and(eq(roomMessages.tenantId, tenant), sql`${roomMessages.room} = ${anyRoom}`))
        .groupBy(roomMessages.room);
      const out = new Map(rooms.map((r) => [r, 0]));
      for (const r of rows) out.set(r.room, Number(r.value ?? 0));
      return out;
    });
  }
}
