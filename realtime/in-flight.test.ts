import { describe, expect, it } from "vitest";
import { InFlight } from "./in-flight";

const later = <T>(ms: number, value: T, fail = false): Promise<T> => new Promise((resolve, reject) => setTimeout(() => (fail ? reject(new Error("refused")) : resolve(value)), ms));

describe("InFlight", () => {
  it("waits for tracked work, failed work included, and for work tracked while it waits", async () => {
    const f = new InFlight();
    const done: string[] = [];
    void f.track(later(30, "a")).then((v) => done.push(v));
    f.track(later(10, "b", true)).catch(() => done.push("b failed"));
    void later(20, undefined).then(() => void f.track(later(40, "c")).then((v) => done.push(v)));
    expect(f.size).toBe(2);
    await f.settled(1_000);
    await Promise.resolve();
    expect(done.sort()).toEqual(["a", "b failed", "c"]);
    expect(f.size).toBe(0);
  });

  it("gives up after maxMs on work that hangs", async () => {
    const f = new InFlight();
    void f.track(new Promise(() => undefined));
    const started = Date.now();
    await f.settled(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(f.size).toBe(1);
  });
});
