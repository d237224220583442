import { describe, expect, it } from "vitest";
import { ExpiryWheel } from "./expiry-wheel";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ExpiryWheel", () => {
  it("fires each armed item once, within the second after its deadline; re-arming moves it, disarming drops it", async () => {
    const fired: string[] = [];
    const wheel = new ExpiryWheel<{ name: string }>((item) => fired.push(item.name));
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => ({ name })) as [{ name: string }, { name: string }, { name: string }, { name: string }];
    const start = Date.now();
    wheel.arm(a, start + 1_000);
    wheel.arm(b, start + 1_000);
    wheel.arm(c, start - 5_000); // already past: fires on the next walk
    wheel.arm(d, start + 1_000);
    wheel.arm(b, start + 60_000); // moved
    wheel.disarm(d);
    expect(wheel.size).toBe(3);
    await sleep(2_300);
    expect(fired.sort()).toEqual(["a", "c"]);
    expect(wheel.size).toBe(1);
    wheel.disarm(b);
    expect(wheel.size).toBe(0);
  });

  it("walks every second that passed, also when armed after an idle spell", async () => {
    let now = 1_000_000_000;
    const fired: number[] = [];
    const wheel = new ExpiryWheel<{ n: number }>((item) => fired.push(item.n), () => now);
    wheel.arm({ n: 1 }, now + 500);
    now += 3_600_000; // an hour later, before its timer walked
    wheel.arm({ n: 2 }, now - 10_000); // a deadline behind the clock
    await sleep(1_200);
    expect(fired.sort()).toEqual([1, 2]);
    expect(wheel.size).toBe(0);
  });
});
