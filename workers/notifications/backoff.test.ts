import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./backoff";

describe("delivery retry backoff", () => {
  const schedule = { attempts: 8, baseMs: 1_000, maxMs: 10_000 };
  it("doubles per failure up to the cap, with 50–100 % jitter", () => {
    expect(retryDelayMs(schedule, 1, () => 1)).toBe(1_000);
    expect(retryDelayMs(schedule, 2, () => 1)).toBe(2_000);
    expect(retryDelayMs(schedule, 4, () => 1)).toBe(8_000);
    expect(retryDelayMs(schedule, 5, () => 1)).toBe(10_000);
    expect(retryDelayMs(schedule, 50, () => 1)).toBe(10_000);
    expect(retryDelayMs(schedule, 3, () => 0)).toBe(2_000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(schedule, 3);
      expect(d).toBeGreaterThanOrEqual(2_000);
      expect(d).toBeLessThanOrEqual(4_000);
    }
  });
});
