import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../database";
import { recordingSettings, recordings } from "../schema";
import { withTenant } from "../tenant-scope";

export type RecordingStatus = "recording" | "complete" | "recovered" | "failed";

export interface RecordingView {
  id: string;
  classId: string;
  sessionId: string;
  part: number;
  status: RecordingStatus;
  contentType: string;
  startedAt: string;
  endedAt: string | null;
  bytes: number | null;
  durationMs: number | null;
}

export interface StoredRecording extends RecordingView {
  storageKey: string;
}

/** Default retention of a school's recordings when it set none. */
export const DEFAULT_RETENTION_DAYS = 90;

const view = (r: typeof recordings.$inferSelect): StoredRecording => ({
  id: r.id,
  classId: r.classId,
  sessionId: r.sessionId,
  part: r.part,
  status: r.status,
  contentType: r.contentType,
  startedAt: r.startedAt.toISOString(),
  endedAt: r.endedAt?.toISOString() ?? null,
  bytes: r.bytes,
  durationMs: r.durationMs,
  storageKey: r.storageKey,
});

/** The recordings of live classes (rows; the files are in a RecordingStorage) and each school's retention. */
export class RecordingStore {
  constructor(private readonly db: Database) {}

  /** A part being recorded. */
  open(tenant: string, input: { id: string; classId: string; sessionId: string; part: number; storageKey: string; contentType: string; startedAt: Date }): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx.insert(recordings).values({ tenantId: tenant, status: "recording", ...input });
    });
  }

  /** The part's file is stored (or failed): its final status, size and duration. */
  close(tenant: string, id: string, result: { status: Exclude<RecordingStatus, "recording">; endedAt: Date; bytes: number | null; durationMs: number | null }): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx.update(recordings).set(result).where(and(eq(recordings.tenantId, tenant), eq(recordings.id, id)));
    });
  }

  /** The class's recorded parts, oldest first. */
  list(tenant: string, classId: string): Promise<StoredRecording[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(recordings)
        .where(and(eq(recordings.tenantId, tenant), eq(recordings.classId, classId)))
        .orderBy(asc(recordings.startedAt), asc(recordings.part));
      return rows.map(view);
    });
  }

  get(tenant: string, classId: string, id: string): Promise<StoredRecording | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(recordings).where(and(eq(recordings.tenantId, tenant), eq(recordings.classId, classId), eq(recordings.id, id)));
      return row ? view(row) : undefined;
    });
  }

  async retentionDays(tenant: string): Promise<number> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(recordingSettings).where(eq(recordingSettings.tenantId, tenant));
      return row?.retentionDays ?? DEFAULT_RETENTION_DAYS;
    });
  }

  setRetentionDays(tenant: string, days: number): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx
        .insert(recordingSettings)
        .values({ tenantId: tenant, retentionDays: days })
        .onConflictDoUpdate({ target: recordingSettings.tenantId, set: { retentionDays: days, updatedAt: new Date() } });
    });
  }

  /** Parts that ended before `cutoff`, or never ended and started before it (at most `limit`). */
  endedBefore(tenant: string, cutoff: Date, limit = 500): Promise<StoredRecording[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(recordings)
        // a part whose recorder's node died never ended: it expires by its start
        .where(and(eq(recordings.tenantId, tenant), or(lt(recordings.endedAt, cutoff), and(isNull(recordings.endedAt), lt(recordings.startedAt, cutoff)))))
        .orderBy(asc(recordings.endedAt))
        .limit(limit);
      return rows.map(view);
    });
  }

  delete(tenant: string, id: string): Promise<void> {
    return withTenant(this.db, tenant, async (tx) => {
      await tx.delete(recordings).where(and(eq(recordings.tenantId, tenant), eq(recordings.id, id)));
    });
  }
}
