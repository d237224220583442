import type { AttendanceRecorded, QuotaRecorded } from "../../core/contracts/events";
import type { Database } from "../database";
import { attendanceEvents, quotaEvents } from "../schema";

export async function insertAttendance(tx: Database, events: AttendanceRecorded[]): Promise<void> {
  await tx
    .insert(attendanceEvents)
    .values(events.map((ev) => ({ tenantId: ev.tenant, id: ev.id, classId: ev.data.classId, userId: ev.data.user, kind: ev.data.kind, at: new Date(ev.at) })))
    .onConflictDoNothing();
}

export async function insertQuotaEvents(tx: Database, events: QuotaRecorded[]): Promise<void> {
  await tx
    .insert(quotaEvents)
    .values(
      events.map((ev) => ({ tenantId: ev.tenant, id: ev.id, kind: ev.data.kind, quota: ev.data.quota, used: ev.data.used, limit: ev.data.limit, at: new Date(ev.at) })),
    )
    .onConflictDoNothing();
}
