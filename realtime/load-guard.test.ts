import { describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { LoadGuard } from "./load-guard";

const block = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LoadGuard", () => {
  it("refuses with 5005 (temporary) while the event loop is behind, and admits again once it catches up", async () => {
    const changes: boolean[] = [];
    const refusals: unknown[] = [];
    const guard: LoadGuard = new LoadGuard(
      40,
      (overloaded) => {
        changes.push(overloaded);
        if (overloaded) expect(() => guard.admit()).toThrow(expect.objectContaining({ code: ErrorCode.Overloaded, temporary: true }));
        refusals.push(overloaded);
      },
      150,
    );
    try {
      expect(() => guard.admit()).not.toThrow();
      for (let i = 0; i < 4; i++) {
        block(120);
        await sleep(5);
      }
      await sleep(200);
      expect(changes).toContain(true);
      await sleep(400);
      expect(guard.lagMs).toBeLessThan(40);
      expect(() => guard.admit()).not.toThrow();
      expect(changes).toEqual([true, false]);
      expect(refusals).toEqual([true, false]);
    } finally {
      guard.stop();
    }
  });

  it("is off at 0", async () => {
    const guard = new LoadGuard(0, () => undefined, 20);
    block(100);
    await sleep(50);
    expect(() => guard.admit()).not.toThrow();
    guard.stop();
  });
});
