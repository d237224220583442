import { and, asc, eq, gt, inArray, or, sql } from "drizzle-orm";
import { AppError, ErrorCode } from "../../core/errors";
import type { Database } from "../database";
import { roomMembers, rooms } from "../schema";
import { withTenant } from "../tenant-scope";

export interface RoomView {
  room: string;
  title: string;
  private: boolean;
  createdBy: string;
  createdAt: string;
}

const view = (r: typeof rooms.$inferSelect): RoomView => ({
  room: r.room,
  title: r.title,
  private: r.isPrivate,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
});

/** Rooms and their members. A room name not registered here is an implicit public room. */
export class RoomStore {
  constructor(private readonly db: Database) {}

  create(tenant: string, input: { room: string; title: string; private: boolean; createdBy: string }): Promise<RoomView> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx
        .insert(rooms)
        .values({ tenantId: tenant, room: input.room, title: input.title, isPrivate: input.private, createdBy: input.createdBy })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new AppError(ErrorCode.Conflict, `room "${input.room}" exists`);
      await tx.insert(roomMembers).values({ tenantId: tenant, room: input.room, userId: input.createdBy }).onConflictDoNothing();
      return view(row);
    });
  }

  get(tenant: string, room: string): Promise<RoomView | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(rooms).where(and(eq(rooms.tenantId, tenant), eq(rooms.room, room)));
      return row ? view(row) : undefined;
    });
  }

  /** The registered ones among `names` (one query), by name; a name not in the map is an implicit public room. */
  getMany(tenant: string, names: readonly string[]): Promise<Map<string, RoomView>> {
    if (names.length === 0) return Promise.resolve(new Map());
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(rooms)
        .where(and(eq(rooms.tenantId, tenant), inArray(rooms.room, [...new Set(names)])));
      return new Map(rows.map((r) => [r.room, view(r)]));
    });
  }

  /** Rooms the user may see: public ones and private ones they are a member of (staff: all). */
  list(tenant: string, user: string, options: { staff: boolean; after?: string; limit: number }): Promise<RoomView[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const member = sql`exists (select 1 from ${roomMembers} m where m.tenant_id = ${rooms.tenantId} and m.room = ${rooms.room} and m.user_id = ${user})`;
      const rows = await tx
        .select()
        .from(rooms)
        .where(and(eq(rooms.tenantId, tenant), options.after ? gt(rooms.room, options.after) : undefined, options.staff ? undefined : or(eq(rooms.isPrivate, false), member)))
        .orderBy(asc(rooms.room))
        .limit(options.limit);
      return rows.map(view);
    });
  }

  isMember(tenant: string, room: string, user: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx
        .select({ user: roomMembers.userId })
        .from(roomMembers)
        .where(and(eq(roomMembers.tenantId, tenant), eq(roomMembers.room, room), eq(roomMembers.userId, user)));
      return row !== undefined;
    });
  }

  members(tenant: string, room: string, options: { after?: string; limit: number }): Promise<Array<{ user: string; joinedAt: string }>> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(roomMembers)
        .where(and(eq(roomMembers.tenantId, tenant), eq(roomMembers.room, room), options.after ? gt(roomMembers.userId, options.after) : undefined))
        .orderBy(asc(roomMembers.userId))
        .limit(options.limit);
      return rows.map((r) => ({ user: r.userId, joinedAt: r.joinedAt.toISOString() }));
    });
  }

  addMember(tenant: string, room: string, user: string): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx.insert(roomMembers).values({ tenantId: tenant, room, userId: user }).onConflictDoNothing();
    });
  }

  removeMember(tenant: string, room: string, user: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const gone = await tx
        .delete(roomMembers)
        .where(and(eq(roomMembers.tenantId, tenant), eq(roomMembers.room, room), eq(roomMembers.userId, user)))
        .returning({ user: roomMembers.userId });
      return gone.length > 0;
    });
  }
}
