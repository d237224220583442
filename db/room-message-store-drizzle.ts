import { and, asc, eq, gt, max } from "drizzle-orm";
import type { RoomMessageEvent } from "../core/events";
import type { Database } from "./database";
import type { RoomMessageStore } from "./room-message-store";
import { roomMessages } from "./schema";

/** RoomMessageStore on drizzle: the same code runs on PostgreSQL and on PGlite. */
export class DrizzleRoomMessageStore implements RoomMessageStore {
  constructor(private readonly db: Database) {}

  async insert(messages: RoomMessageEvent[]): Promise<number> {
    if (messages.length === 0) return 0;
    const rows = messages.map((m) => ({
      tenantId: m.tenant,
      id: m.id,
      room: m.room,
      seq: m.seq,
      userId: m.user,
      text: m.text,
      sentAt: new Date(m.sentAt),
    }));
    // Conflict only on the identity (tenant, id): a different message claiming a taken seq is an
    // error that must surface, not vanish.
    const inserted = await this.db
      .insert(roomMessages)
      .values(rows)
      .onConflictDoNothing({ target: [roomMessages.tenantId, roomMessages.id] })
      .returning({ id: roomMessages.id });
    return inserted.length;
  }

  async list(tenant: string, room: string, options: { afterSeq: number; limit: number }): Promise<RoomMessageEvent[]> {
    const rows = await this.db
      .select()
      .from(roomMessages)
      .where(and(eq(roomMessages.tenantId, tenant), eq(roomMessages.room, room), gt(roomMessages.seq, options.afterSeq)))
      .orderBy(asc(roomMessages.seq))
      .limit(options.limit);
    return rows.map((r) => ({
      v: 1 as const,
      id: r.id,
      tenant: r.tenantId,
      room: r.room,
      seq: r.seq,
      user: r.userId,
      text: r.text,
      sentAt: r.sentAt.toISOString(),
    }));
  }

  async maxSeq(tenant: string, room: string): Promise<number> {
    const [row] = await this.db
      .select({ value: max(roomMessages.seq) })
      .from(roomMessages)
      .where(and(eq(roomMessages.tenantId, tenant), eq(roomMessages.room, room)));
    return Number(row?.value ?? 0);
  }
}
