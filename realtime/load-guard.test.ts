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
      for (let i = 0; i < 12; i++) {
        block(60);
        await sleep(1);
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

  it("does not refuse for a delay while the loop is mostly idle (one long broadcast)", async () => {
    const changes: boolean[] = [];
    const guard = new LoadGuard(40, (o) => changes.push(o), 300);
    try {
      await sleep(10);
      block(100);
      await sleep(320);
      expect(guard.lagMs).toBeGreaterThan(40); // the delay was seen in that window …
      expect(guard.busy).toBeLessThan(0.9); // … but the loop was idle most of it
      expect(changes).toEqual([]);
      expect(() => guard.admit()).not.toThrow();
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
