import { and, eq, sql } from "drizzle-orm";
import { AppError, ErrorCode } from "../../core/errors";
import type { Database } from "../database";
import { classRosters, liveClasses, roomMembers, rooms } from "../schema";
import { withTenant } from "../tenant-scope";

/** Most users an explicit roster lists (a larger group belongs in a room). */
export const MAX_ROSTER_USERS = 1000;

/**
 * Who joins a class directly (docs/CLASSES.md "Roster modes"):
 * - `school`: every user of the school (the default: a class without a roster row);
 * - `room`: the members of a room of the school, as they are when they join;
 * - `list`: the users listed.
 * Everyone else (students; staff always join directly) waits in the class's waiting room.
 */
export type Roster = { mode: "school" } | { mode: "room"; room: string } | { mode: "list"; users: string[] };

export type RosterView = Roster & { classId: string; updatedBy: string | null; updatedAt: string | null };

/** Class rosters: read, replaced as a whole, and the admission test of `class:join`. */
export class ClassRosterStore {
  constructor(private readonly db: Database) {}

  /** The class's roster; undefined when there is no such class in this school. */
  get(tenant: string, classId: string): Promise<RosterView | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [klass] = await tx.select({ id: liveClasses.id }).from(liveClasses).where(and(eq(liveClasses.tenantId, tenant), eq(liveClasses.id, classId)));
      if (!klass) return undefined;
      const [row] = await tx.select().from(classRosters).where(and(eq(classRosters.tenantId, tenant), eq(classRosters.classId, classId)));
      if (!row) return { classId, mode: "school", updatedBy: null, updatedAt: null };
      const meta = { classId, updatedBy: row.updatedBy, updatedAt: row.updatedAt.toISOString() };
      if (row.mode === "room") return { ...meta, mode: "room", room: row.room ?? "" };
      if (row.mode === "list") return { ...meta, mode: "list", users: row.users };
      return { ...meta, mode: "school" };
    });
  }

  /**
   * Replaces the roster (a list is stored sorted and without duplicates). 4000 when the class, or the
   * room of a `room` roster, does not exist in this school.
   */
  set(tenant: string, classId: string, roster: Roster, by: string): Promise<RosterView> {
    return withTenant(this.db, tenant, async (tx) => {
      const [klass] = await tx.select({ id: liveClasses.id }).from(liveClasses).where(and(eq(liveClasses.tenantId, tenant), eq(liveClasses.id, classId)));
      if (!klass) throw new AppError(ErrorCode.NotFound, "no such class");
      if (roster.mode === "room") {
        const [room] = await tx.select({ room: rooms.room }).from(rooms).where(and(eq(rooms.tenantId, tenant), eq(rooms.room, roster.room)));
        if (!room) throw new AppError(ErrorCode.NotFound, `no room "${roster.room}" in this school`);
      }
      const users = roster.mode === "list" ? [...new Set(roster.users)].sort() : [];
      const values = { mode: roster.mode, room: roster.mode === "room" ? roster.room : null, users, updatedBy: by, updatedAt: new Date() };
      const [row] = await tx
        .insert(classRosters)
        .values({ tenantId: tenant, classId, ...values })
        .onConflictDoUpdate({ target: [classRosters.tenantId, classRosters.classId], set: values })
        .returning();
      const meta = { classId, updatedBy: by, updatedAt: (row?.updatedAt ?? values.updatedAt).toISOString() };
      if (roster.mode === "room") return { ...meta, mode: "room", room: roster.room };
      if (roster.mode === "list") return { ...meta, mode: "list", users };
      return { ...meta, mode: "school" };
    });
  }

  /** Whether `user` is on the class's roster (always, for a `school` roster or a class without one). */
  admits(tenant: string, classId: string, user: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(classRosters).where(and(eq(classRosters.tenantId, tenant), eq(classRosters.classId, classId)));
      if (!row || row.mode === "school") return true;
      if (row.mode === "list") return row.users.includes(user);
      const [member] = await tx
        .select({ user: roomMembers.userId })
        .from(roomMembers)
        .where(and(eq(roomMembers.tenantId, tenant), eq(roomMembers.room, row.room ?? ""), eq(roomMembers.userId, user)));
      return member !== undefined;
    });
  }

  /** The users on the roster (attendance: who was expected); undefined for a `school` roster. At most `limit`. */
  members(tenant: string, classId: string, limit = 10_000): Promise<string[] | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(classRosters).where(and(eq(classRosters.tenantId, tenant), eq(classRosters.classId, classId)));
      if (!row || row.mode === "school") return undefined;
      if (row.mode === "list") return row.users.slice(0, limit);
      const members = await tx
        .select({ user: roomMembers.userId })
        .from(roomMembers)
        .where(and(eq(roomMembers.tenantId, tenant), eq(roomMembers.room, row.room ?? "")))
        .orderBy(sql`${roomMembers.userId}`)
        .limit(limit);
      return members.map((m) => m.user);
    });
  }
}
