import { describe, expect, it } from "vitest";
import { RecoveryReads } from "./recovery-reads";

const rows = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => ({ seq: from + i }));

describe("RecoveryReads (shared database reads of recoveries)", () => {
  it("a storm of rejoins of one stream costs one query: concurrent reads from one seq share it, later ones from a seq after it reuse a complete answer", async () => {
    const queries: Array<{ stream: string; after: number }> = [];
    const reads = new RecoveryReads(1_000);
    const load = (stream: string) => async (after: number, limit: number) => {
      queries.push({ stream, after });
      await new Promise((r) => setTimeout(r, 10));
      return rows(after + 1, Math.min(40, after + limit)); // stored: seqs 1..40
    };
    const same = await Promise.all(Array.from({ length: 20 }, () => reads.read("t/room-a", 30, 300, load("t/room-a"))));
    expect(same.every((r) => r.map((m) => m.seq).join() === rows(31, 40).map((m) => m.seq).join())).toBe(true);
    expect((await reads.read("t/room-a", 35, 300, load("t/room-a"))).map((m) => m.seq)).toEqual([36, 37, 38, 39, 40]);
    expect(await reads.read("t/room-a", 40, 300, load("t/room-a"))).toEqual([]);
    expect(await reads.read("t/room-a", 10, 300, load("t/room-a"))).toHaveLength(30); // an earlier since in the same bucket of 100
    expect(queries).toEqual([{ stream: "t/room-a", after: 0 }]); // one read, from the bucket's start
    // another stream, or a seq before the read's own start, is its own query
    await reads.read("t/room-b", 30, 300, load("t/room-b"));
    const later = new RecoveryReads(1_000);
    await later.read("t/room-c", 130, 300, load("t/room-c"));
    await later.read("t/room-c", 30, 300, load("t/room-c"));
    expect(queries.map((q) => `${q.stream}@${q.after}`)).toEqual(["t/room-a@0", "t/room-b@0", "t/room-c@100", "t/room-c@0"]);
  });

  it("does not reuse a truncated answer for a later seq (its rows end at the limit), nor keep one past the TTL or a failed read", async () => {
    let asked = 0;
    const reads = new RecoveryReads(50);
    const load = async (after: number, limit: number) => (asked++, rows(after + 1, Math.min(1_000, after + limit)));
    expect(await reads.read("s", 0, 300, load)).toHaveLength(300); // truncated: seqs 1..300 of 1,000
    expect((await reads.read("s", 100, 300, load)).at(-1)?.seq).toBe(400);
    expect(asked).toBe(2);
    await new Promise((r) => setTimeout(r, 60));
    await reads.read("s", 0, 300, load);
    expect(asked).toBe(3);
    let fail = true;
    const flaky = async (after: number) => (fail ? Promise.reject(new Error("pool timeout")) : rows(after + 1, after + 2));
    await expect(reads.read("f", 0, 300, flaky)).rejects.toThrow("pool timeout");
    fail = false;
    expect(await reads.read("f", 0, 300, flaky)).toHaveLength(2);
  });
});
