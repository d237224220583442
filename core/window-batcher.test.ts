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
});
