import { and, eq, isNull } from "drizzle-orm";
import type { ClassEnded, ClassStarted } from "../../core/contracts/events";
import type { Database } from "../database";
import { liveClasses } from "../schema";

/** Records a class's start (the first one only): idempotent, as the media node also records it directly. */
export async function markClassesStarted(tx: Database, events: ClassStarted[]): Promise<void> {
  for (const ev of events) {
    await tx
      .update(liveClasses)
      .set({ startedAt: new Date(ev.at) })
      .where(and(eq(liveClasses.tenantId, ev.tenant), eq(liveClasses.id, ev.data.classId), isNull(liveClasses.startedAt)));
  }
}

/** Records a class's end (idempotent: the same moment again). */
export async function markClassesEnded(tx: Database, events: ClassEnded[]): Promise<void> {
  for (const ev of events) {
    await tx.update(liveClasses).set({ endedAt: new Date(ev.at) }).where(and(eq(liveClasses.tenantId, ev.tenant), eq(liveClasses.id, ev.data.classId)));
  }
}
