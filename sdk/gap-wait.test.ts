import { describe, expect, it } from "vitest";
import { GAP_WAIT_DECAY_MS, GAP_WAIT_MAX_FACTOR, GapWait } from "./src/gap-wait";

describe("GapWait (sdk/src/gap-wait.ts): a hole's wait learned from the fetches", () => {
  it("doubles on each fetch that was too soon, up to its cap, and halves back after quiet periods", () => {
    let now = 0;
    const w = new GapWait(500, () => now);
    expect(w.ms).toBe(500);
    w.fetchedTooSoon();
    w.fetchedTooSoon();
    expect(w.ms).toBe(2_000);
    for (let i = 0; i < 10; i++) w.fetchedTooSoon();
    expect(w.ms).toBe(500 * GAP_WAIT_MAX_FACTOR);
    now += GAP_WAIT_DECAY_MS - 1;
    expect(w.ms).toBe(8_000);
    now += 1;
    expect(w.ms).toBe(4_000);
    now += 3 * GAP_WAIT_DECAY_MS;
    expect(w.ms).toBe(500);
    now += 10 * GAP_WAIT_DECAY_MS;
    expect(w.ms).toBe(500); // never below the configured wait
  });
});
