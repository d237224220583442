import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestPglite } from "../../tests/support/pglite";
import type { DatabaseHandle } from "../database";
import { DEFAULT_RETENTION_DAYS, RecordingStore } from "../stores/recordings";
import { LocalRecordingStorage } from "./recording-storage-local";
import { sweepRecordings } from "./retention";

describe("recording retention per school", () => {
  let db: DatabaseHandle;
  let dir: string;
  let store: RecordingStore;
  let storage: LocalRecordingStorage;
  beforeAll(async () => {
    db = await openTestPglite();
    dir = await mkdtemp(join(tmpdir(), "rec-retention-"));
    store = new RecordingStore(db.db);
    storage = new LocalRecordingStorage(dir);
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const recorded = async (tenant: string, endedDaysAgo: number, now: Date) => {
    const id = randomUUID();
    const classId = randomUUID();
    const key = `${tenant}/${classId}/${id}.webm`;
    const file = join(dir, `${id}.src`);
    await writeFile(file, "webm bytes");
    const endedAt = new Date(now.getTime() - endedDaysAgo * 86_400_000);
    await store.open(tenant, { id, classId, sessionId: randomUUID(), part: 1, storageKey: key, contentType: "video/webm", startedAt: new Date(endedAt.getTime() - 60_000) });
    await store.close(tenant, id, { status: "complete", endedAt, bytes: await storage.put(key, file), durationMs: 60_000 });
    return { id, classId, key };
  };

  it("deletes files and rows older than the school's retention (default 90 days), and only that school's", async () => {
    const now = new Date();
    expect(await store.retentionDays("ret-a")).toBe(DEFAULT_RETENTION_DAYS);
    await store.setRetentionDays("ret-a", 7);
    const old = await recorded("ret-a", 8, now);
    const fresh = await recorded("ret-a", 6, now);
    const otherOld = await recorded("ret-b", 8, now); // ret-b keeps 90 days
    expect(await sweepRecordings(store, storage, "ret-a", now)).toBe(1);
    expect(await storage.size(old.key)).toBeUndefined();
    expect(await store.get("ret-a", old.classId, old.id)).toBeUndefined();
    expect(await storage.size(fresh.key)).toBeGreaterThan(0);
    expect(await sweepRecordings(store, storage, "ret-b", now)).toBe(0);
    expect(await store.get("ret-b", otherOld.classId, otherOld.id)).toBeDefined();
    // another school's rows are invisible to ret-a's sweep (row-level security)
    expect(await store.get("ret-a", otherOld.classId, otherOld.id)).toBeUndefined();
  });
});
