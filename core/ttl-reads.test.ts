import { afterEach, describe, expect, it, vi } from "vitest";
import { TtlReads } from "./ttl-reads";

/** A read that answers when told to, counting how often it was sent. */
function deferredReads<T>() {
  const sent: string[] = [];
  const pending: Array<{ resolve(v: T): void; reject(e: unknown): void }> = [];
  const read = (key: string) => (): Promise<T> => {
    sent.push(key);
    return new Promise<T>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { sent, pending, read };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("TtlReads", () => {
  afterEach(() => vi.useRealTimers());

  it("shares one read in flight per key, however long it takes, and other keys apart", async () => {
    vi.useFakeTimers();
    const reads = new TtlReads<number>(100);
    const d = deferredReads<number>();
    const a1 = reads.get("a", d.read("a"));
    const b = reads.get("b", d.read("b"));
    vi.advanceTimersByTime(500); // past the TTL, still in flight
    const a2 = reads.get("a", d.read("a"));
    expect(d.sent).toEqual(["a", "b"]);
    d.pending[0]!.resolve(1);
    d.pending[1]!.resolve(2);
    expect(await Promise.all([a1, a2, b])).toEqual([1, 1, 2]);
  });

  it("reuses an answer until the TTL after its read was sent, then reads again", async () => {
    vi.useFakeTimers();
    const reads = new TtlReads<string>(100);
    let value = "v1";
    let sent = 0;
    const read = async () => (sent++, value);
    expect(await reads.get("k", read)).toBe("v1");
    value = "v2";
    vi.advanceTimersByTime(99);
    expect(await reads.get("k", read)).toBe("v1");
    vi.advanceTimersByTime(1);
    expect(await reads.get("k", read)).toBe("v2");
    expect(sent).toBe(2);
  });

  it("does not keep a failure (rejected or thrown): its sharers fail, the next get reads again", async () => {
    const reads = new TtlReads<string>(60_000);
    const d = deferredReads<string>();
    const first = reads.get("k", d.read("k"));
    const shared = reads.get("k", d.read("k"));
    d.pending[0]!.reject(new Error("down"));
    await expect(first).rejects.toThrow("down");
    await expect(shared).rejects.toThrow("down");
    expect(d.sent).toEqual(["k"]);
    expect(await reads.get("k", async () => "ok")).toBe("ok");
    const thrown = new TtlReads<string>(60_000);
    await expect(
      thrown.get("k", () => {
        throw new Error("bad");
      }),
    ).rejects.toThrow("bad");
    expect(await thrown.get("k", async () => "ok")).toBe("ok");
  });

  it("a failure does not drop a newer entry of its key (one made after the size bound dropped the failing read)", async () => {
    const reads = new TtlReads<string>(60_000, 2);
    const d = deferredReads<string>();
    const old = reads.get("k", d.read("k"));
    void reads.get("x", d.read("x"));
    void reads.get("y", async () => "y"); // full, both in flight: everything dropped
    const newer = reads.get("k", d.read("k"));
    expect(d.sent).toEqual(["k", "x", "k"]);
    d.pending[0]!.reject(new Error("down"));
    await expect(old).rejects.toThrow("down");
    d.pending[2]!.resolve("new");
    expect(await newer).toBe("new");
    expect(await reads.get("k", d.read("k"))).toBe("new"); // still held
    expect(d.sent).toEqual(["k", "x", "k"]);
    d.pending[1]!.resolve("x");
  });

  it("holds at most maxEntries keys: answered entries go first, reads in flight stay shared", async () => {
    const reads = new TtlReads<number>(60_000, 4);
    for (const k of ["a", "b", "c"]) await reads.get(k, async () => 1);
    const d = deferredReads<number>();
    const inFlight = reads.get("d", d.read("d"));
    expect(reads.size).toBe(4);
    await reads.get("e", async () => 2); // full: a, b, c (answered) dropped, d kept
    expect(reads.size).toBe(2);
    const shared = reads.get("d", d.read("d"));
    expect(d.sent).toEqual(["d"]);
    d.pending[0]!.resolve(7);
    expect(await Promise.all([inFlight, shared])).toEqual([7, 7]);
    // more than half the bound in flight: everything is dropped, callers still answered
    const many = new TtlReads<number>(60_000, 4);
    const m = deferredReads<number>();
    const waiting = ["a", "b", "c", "d"].map((k) => many.get(k, m.read(k)));
    const extra = many.get("e", async () => 5);
    expect(many.size).toBe(1);
    m.pending.forEach((p, i) => p.resolve(i));
    expect(await Promise.all([...waiting, extra])).toEqual([0, 1, 2, 3, 5]);
    await tick();
  });
});
