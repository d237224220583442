import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { Database } from "../database";
import { attendanceEvents, liveClasses } from "../schema";
import { withTenant } from "../tenant-scope";
import { attendanceReport, withRoster, type AttendanceRow } from "./attendance-report";
import { ClassRosterStore } from "./class-rosters";

export interface ClassView {
  id: string;
  title: string;
  teacher: string;
  room: string;
  scheduledAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

const view = (r: typeof liveClasses.$inferSelect): ClassView => ({
  id: r.id,
  title: r.title,
  teacher: r.teacherId,
  room: r.room,
  scheduledAt: r.scheduledAt.toISOString(),
  startedAt: r.startedAt?.toISOString() ?? null,
  endedAt: r.endedAt?.toISOString() ?? null,
});

/** Live classes (created and scheduled through the API) and their attendance. */
export class ClassStore {
  /** The classes' rosters (who joins directly; the rest waits to be admitted). */
  readonly rosters: ClassRosterStore;

  constructor(private readonly db: Database) {
    this.rosters = new ClassRosterStore(db);
  }

  create(tenant: string, input: { title: string; teacher: string; room: string; scheduledAt: Date }): Promise<ClassView> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx
        .insert(liveClasses)
        .values({ tenantId: tenant, id: randomUUID(), title: input.title, teacherId: input.teacher, room: input.room, scheduledAt: input.scheduledAt })
        .returning();
      return view(row as typeof liveClasses.$inferSelect);
    });
  }

  get(tenant: string, id: string): Promise<ClassView | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(liveClasses).where(and(eq(liveClasses.tenantId, tenant), eq(liveClasses.id, id)));
      return row ? view(row) : undefined;
    });
  }

  /** Classes scheduled after `from`, earliest first. */
  list(tenant: string, options: { from: Date; limit: number }): Promise<ClassView[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(liveClasses)
        .where(and(eq(liveClasses.tenantId, tenant), gt(liveClasses.scheduledAt, options.from)))
        .orderBy(asc(liveClasses.scheduledAt), asc(liveClasses.id))
        .limit(options.limit);
      return rows.map(view);
    });
  }

  /** Records the class's start (first time only) or end. */
  markLifecycle(tenant: string, id: string, kind: "started" | "ended", at: Date): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      const where = and(eq(liveClasses.tenantId, tenant), eq(liveClasses.id, id));
      if (kind === "started") await tx.update(liveClasses).set({ startedAt: at }).where(and(where, isNull(liveClasses.startedAt)));
      else await tx.update(liveClasses).set({ endedAt: at }).where(where);
    });
  }

  /**
   * One row per participant; for a class with a roster (room or list), every row has a `status` and each
   * roster member who never joined has an "absent" row (attendance-report.ts `withRoster`).
   */
  async attendance(tenant: string, classId: string, now: Date = new Date()): Promise<AttendanceRow[]> {
    const rows = await this.joinsAndLeaves(tenant, classId, now);
    const expected = await this.rosters.members(tenant, classId);
    if (!expected) return rows;
    const klass = await this.get(tenant, classId);
    return withRoster(rows, expected, klass?.teacher ?? "");
  }

  private joinsAndLeaves(tenant: string, classId: string, now: Date): Promise<AttendanceRow[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const events = await tx
        .select()
        .from(attendanceEvents)
        .where(and(eq(attendanceEvents.tenantId, tenant), eq(attendanceEvents.classId, classId)))
        .orderBy(asc(attendanceEvents.at), asc(attendanceEvents.id));
      return attendanceReport(
        events.map((e) => ({ user: e.userId, kind: e.kind, at: e.at })),
        now,
      );
    });
  }
}
