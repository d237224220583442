import type { RecordingStorage } from "../../core/recording-storage";
import type { RecordingStore } from "../stores/recordings";

/**
 * Deletes a school's recordings older than its retention (RecordingStore.retentionDays, default 90 days):
 * the file first, then the row, so a crash in between leaves a row whose file is gone (retried next sweep,
 * since deleting a missing file succeeds), never an orphaned file. Returns how many parts were deleted.
 */
export async function sweepRecordings(store: RecordingStore, storage: RecordingStorage, tenant: string, now: Date = new Date()): Promise<number> {
  const days = await store.retentionDays(tenant);
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  let deleted = 0;
  for (const r of await store.endedBefore(tenant, cutoff)) {
    await storage.delete(r.storageKey);
    await store.delete(tenant, r.id);
    deleted++;
  }
  return deleted;
}
