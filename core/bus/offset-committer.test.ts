import { afterEach, describe, expect, it, vi } from "vitest";
import { OffsetCommitter, type PartitionOffset } from "./offset-committer";

const recorder = () => {
  const commits: PartitionOffset[][] = [];
  let fail = false;
  const commit = async (offsets: PartitionOffset[]): Promise<void> => {
    if (fail) throw new Error("REBALANCE_IN_PROGRESS");
    commits.push(offsets);
  };
  return { commits, commit, failNext: (f: boolean) => (fail = f) };
};

describe("OffsetCommitter", () => {
  afterEach(() => vi.useRealTimers());

  it("commits the next offset of each partition's last handled batch, once per flush", async () => {
    const r = recorder();
    const c = new OffsetCommitter(r.commit, 1_000, () => undefined);
    c.handled("t", 0, "4");
    c.handled("t", 0, "9");
    c.handled("t", 1, "2");
    c.handled("u", 0, "0");
    await c.flush();
    expect(r.commits).toEqual([
      [
        { topic: "t", partition: 0, offset: "10" },
        { topic: "t", partition: 1, offset: "3" },
        { topic: "u", partition: 0, offset: "1" },
      ],
    ]);
    await c.flush();
    expect(r.commits).toHaveLength(1); // nothing new: no request
  });

  it("commits on its interval, not per batch", async () => {
    vi.useFakeTimers();
    const r = recorder();
    const c = new OffsetCommitter(r.commit, 1_000, () => undefined);
    c.start();
    for (let i = 0; i < 50; i++) c.handled("t", i % 3, String(i));
    await vi.advanceTimersByTimeAsync(999);
    expect(r.commits).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.commits).toHaveLength(1);
    c.stop();
    c.handled("t", 0, "60");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(r.commits).toHaveLength(1);
  });

  it("never moves a partition back", async () => {
    const r = recorder();
    const c = new OffsetCommitter(r.commit, 1_000, () => undefined);
    c.handled("t", 0, "9");
    c.handled("t", 0, "3");
    await c.flush();
    expect(r.commits[0]).toEqual([{ topic: "t", partition: 0, offset: "10" }]);
  });

  it("keeps a failed commit's offsets for the next flush unless a later offset replaced them", async () => {
    const r = recorder();
    const c = new OffsetCommitter(r.commit, 1_000, () => undefined);
    c.handled("t", 0, "5");
    c.handled("t", 1, "7");
    r.failNext(true);
    await expect(c.flush()).rejects.toThrow("REBALANCE_IN_PROGRESS");
    r.failNext(false);
    c.handled("t", 0, "8");
    await c.flush();
    expect(r.commits).toEqual([
      [
        { topic: "t", partition: 0, offset: "9" },
        { topic: "t", partition: 1, offset: "8" },
      ],
    ]);
  });

  it("forgets partitions a rebalance took away, also from a commit that failed", async () => {
    const r = recorder();
    const c = new OffsetCommitter(r.commit, 1_000, () => undefined);
    c.handled("t", 0, "5");
    c.handled("t", 1, "5");
    c.keepOnly({ t: [1] });
    r.failNext(true);
    await expect(c.flush()).rejects.toThrow();
    c.keepOnly({ t: [2] });
    r.failNext(false);
    await c.flush();
    expect(r.commits).toEqual([]);
    expect(c.size).toBe(0);
  });

  it("runs one commit at a time, in flush order", async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const c = new OffsetCommitter(
      async (offsets) => {
        order.push(`start ${offsets[0]?.offset}`);
        if (order.length === 1) await new Promise<void>((r) => (release = r));
        order.push(`end ${offsets[0]?.offset}`);
      },
      1_000,
      () => undefined,
    );
    c.handled("t", 0, "1");
    const first = c.flush();
    await new Promise((r) => setTimeout(r, 10));
    c.handled("t", 0, "2");
    const second = c.flush();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["start 2"]); // the second waits for the first
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["start 2", "end 2", "start 3", "end 3"]);
  });

  it("refuses an interval that is not a positive integer", () => {
    expect(() => new OffsetCommitter(async () => undefined, 0, () => undefined)).toThrow();
  });
});
