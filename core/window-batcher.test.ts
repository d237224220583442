import { describe, expect, it } from "vitest";
import { WindowBatcher } from "./window-batcher";

describe("WindowBatcher", () => {
  it("answers the calls of one window and key with one batch, in order; other keys and full batches apart", async () => {
    const batches: Array<[string, number[]]> = [];
    const batcher = new WindowBatcher<number, number>(async (key, items) => {
      batches.push([key, items]);
      return items.map((n) => n * 10);
    }, 5, 3);
    const answers = await Promise.all([batcher.add("a", 1), batcher.add("a", 2), batcher.add("b", 3), batcher.add("a", 4), batcher.add("a", 5)]);
    expect(answers).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      ["a", [1, 2, 4]],
      ["b", [3]],
      ["a", [5]],
    ]);
  });

  it("rejects every call of a failed batch, also one that throws at once", async () => {
    const failing = new WindowBatcher<number, number>(() => Promise.reject(new Error("down")));
    await expect(Promise.all([failing.add("k", 1), failing.add("k", 2)])).rejects.toThrow("down");
    const throwing = new WindowBatcher<number, number>(() => {
      throw new Error("bad");
    });
    await expect(throwing.add("k", 1)).rejects.toThrow("bad");
  });

  it("with a window of 0, takes what one turn's callbacks ask together and a later turn's apart", async () => {
    const batches: number[][] = [];
    const batcher = new WindowBatcher<number, number>(async (_key, items) => {
      batches.push(items);
      return items;
    }, 0);
    const asked: Array<Promise<number>> = [];
    await new Promise<void>((resolve) => {
      setImmediate(() => {
        asked.push(batcher.add("", 1));
        asked.push(batcher.add("", 2));
        setImmediate(() => {
          asked.push(batcher.add("", 3));
          setImmediate(resolve);
        });
      });
    });
    expect(await Promise.all(asked)).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it("opens the window only under load: quiet calls go out at the end of their turn, a busy stream waits the window", async () => {
    let clock = 0;
    const batches: number[][] = [];
    const batcher = new WindowBatcher<number, number>(
      async (_key, items) => {
        batches.push(items);
        return items;
      },
      200, // far longer than a turn
      1_000,
      500,
      () => clock,
    );
    // quiet: one call every 50 ms (20/s), each answered without the window
    for (let i = 0; i < 3; i++) {
      clock += 50;
      const answer = batcher.add("", i);
      await new Promise((resolve) => setImmediate(resolve));
      expect(batches).toHaveLength(i + 1); // sent at the end of its turn, not after the window
      expect(await answer).toBe(i);
    }
    expect(batches).toEqual([[0], [1], [2]]);

    // busy: 60 calls within 100 ms (600/s). The first turn's calls go out together at its end (the batch
    // began while quiet); from then on the window is open and a later turn's call waits in it.
    batches.length = 0;
    clock += 1_000;
    const asked: Array<Promise<number>> = [];
    for (let i = 0; i < 60; i++) asked.push(batcher.add("busy", i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([Array.from({ length: 60 }, (_, i) => i)]);
    clock += 10;
    asked.push(batcher.add("busy", 60));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toHaveLength(1); // held by the window, not flushed at the end of its turn
    expect(await asked[60]).toBe(60); // and sent when the window closes
    expect(batches).toEqual([Array.from({ length: 60 }, (_, i) => i), [60]]);
  });
});
