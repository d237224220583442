import { describe, expect, it } from "vitest";
import { TrailingReads } from "./trailing-reads";

describe("TrailingReads", () => {
  it("sends a read at once when none is in flight, and callers during one share the next, sent after it", async () => {
    let value = 0;
    const sent: number[] = [];
    const answers: Array<() => void> = [];
    const reads = new TrailingReads<number>(() => {
      const seen = value; // what the store holds when the read is sent
      sent.push(seen);
      return new Promise<number>((r) => answers.push(() => r(seen)));
    });
    value = 1;
    const first = reads.get("k");
    expect(sent).toEqual([1]); // no delay when quiet
    value = 2; // written by callers that ask next
    const later = [reads.get("k"), reads.get("k"), reads.get("k")];
    expect(sent).toEqual([1]);
    answers.shift()!();
    expect(await first).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([1, 2]); // one read for the three, sent after they asked
    answers.shift()!();
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
    await new Promise((r) => setImmediate(r));
    expect(reads.get("k")).toBeInstanceOf(Promise);
    expect(sent).toEqual([1, 2, 2]); // quiet again: at once
  });

  it("gives a failed read's error to its callers only; the next read is sent as usual", async () => {
    let fail = true;
    const reads = new TrailingReads<string>(async () => {
      if (fail) throw new Error("down");
      return "ok";
    });
    const a = reads.get("k");
    const b = reads.get("k");
    fail = false;
    await expect(a).rejects.toThrow("down");
    expect(await b).toBe("ok");
    expect(await reads.get("k")).toBe("ok");
  });
});
