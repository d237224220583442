import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { HistoryOptions, HistoryStore } from "./history-store";

export function runHistoryStoreContract(name: string, open: (options: HistoryOptions) => Promise<HistoryStore>): void {
  describe(`HistoryStore contract: ${name}`, () => {
    it("returns entries after a seq in order, keeps the last `size`, and one entry per seq", async () => {
      const h = await open({ size: 5, ttlSeconds: 60 });
      const s = randomUUID();
      for (const seq of [1, 2, 3, 4, 5, 6, 7]) await h.append(s, seq, `m${seq}`);
      await h.append(s, 7, "m7");
      expect(await h.since(s, 0, 100)).toEqual([3, 4, 5, 6, 7].map((seq) => ({ seq, payload: `m${seq}` })));
      expect((await h.since(s, 4, 2)).map((e) => e.seq)).toEqual([5, 6]);
      expect(await h.since(s, 7, 10)).toEqual([]);
      expect(await h.since(randomUUID(), 0, 10)).toEqual([]);
    });

    it("shows a reserved seq until its message is appended, and never lets a reservation replace a message", async () => {
      const h = await open({ size: 5, ttlSeconds: 60 });
      const s = randomUUID();
      await h.append(s, 1, "m1");
      await h.reserve(s, 2, 1_000);
      await h.reserve(s, 2, 2_000); // the first reservation stays
      await h.reserve(s, 3, 3_000);
      await h.reserve(s, 1, 4_000); // 1 has its message
      expect(await h.since(s, 0, 10)).toEqual([
        { seq: 1, payload: "m1" },
        { seq: 2, reservedAt: 1_000 },
        { seq: 3, reservedAt: 3_000 },
      ]);
      await h.append(s, 3, "m3");
      expect(await h.since(s, 1, 10)).toEqual([
        { seq: 2, reservedAt: 1_000 },
        { seq: 3, payload: "m3" },
      ]);
    });

    it("forgets a stream after its ttl", async () => {
      const h = await open({ size: 5, ttlSeconds: 1 });
      const s = randomUUID();
      await h.append(s, 1, "m1");
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await h.since(s, 0, 10)).toEqual([]);
    });
  });
}
