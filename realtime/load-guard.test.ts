import { describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { LoadGuard } from "./load-guard";

const block = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LoadGuard", () => {
  it("throttles with 5005 (temporary) while the event loop is saturated, halving per second, and recovers", async () => {
    const changes: boolean[] = [];
    const guard: LoadGuard = new LoadGuard(
      40,
      (throttling) => {
        changes.push(throttling);
        if (throttling) expect(() => guard.admit()).toThrow(expect.objectContaining({ code: ErrorCode.Overloaded, temporary: true }));
      },
      150,
    );
    try {
      expect(() => guard.admit()).not.toThrow();
      for (let i = 0; i < 12; i++) {
        block(60);
        await sleep(1);
      }
      expect(guard.share).toBeLessThanOrEqual(0.25); // several saturated windows: ½, ¼, …
      expect(changes).toEqual([true]);
      for (let waited = 0; !changes.includes(false) && waited < 3_000; waited += 50) await sleep(50);
      expect(changes).toEqual([true, false]);
      expect(guard.share).toBe(1);
      for (let i = 0; i < 5; i++) expect(() => guard.admit()).not.toThrow();
    } finally {
      guard.stop();
    }
  });

  it("does not cut for a busy, late loop while no message is offered (start-up work), so the first message passes", async () => {
    const changes: boolean[] = [];
    const guard = new LoadGuard(40, (o) => changes.push(o), 150);
    try {
      for (let i = 0; i < 8; i++) {
        block(60);
        await sleep(1);
      }
      expect(guard.busy).toBeGreaterThanOrEqual(0.9); // the loop was saturated …
      expect(guard.lagMs).toBeGreaterThan(40);
      expect(changes).toEqual([]); // … by something that was not messages
      expect(guard.share).toBe(1);
      expect(() => guard.admit()).not.toThrow();
    } finally {
      guard.stop();
    }
  });

  it("does not cut while the node is in a connect storm, even with messages offered", async () => {
    const changes: boolean[] = [];
    const guard = new LoadGuard(40, (o) => changes.push(o), 150);
    try {
      for (let i = 0; i < 8; i++) {
        for (let c = 0; c < 20; c++) guard.noteConnect(); // 20 per 150 ms window: ~133 connects/s
        guard.admit(); // messages keep flowing
        block(60);
        await sleep(1);
      }
      expect(guard.busy).toBeGreaterThanOrEqual(0.9);
      expect(guard.lagMs).toBeGreaterThan(40);
      expect(guard.storm).toBe(true);
      expect(changes).toEqual([]);
      expect(guard.share).toBe(1);
      expect(() => guard.admit()).not.toThrow();
    } finally {
      guard.stop();
    }
  });

  it("admits exactly its share of calls, deterministically", () => {
    const guard = new LoadGuard(0);
    guard.share = 0.25;
    const admitted = Array.from({ length: 12 }, () => {
      try {
        guard.admit();
        return 1;
      } catch {
        return 0;
      }
    });
    expect(admitted).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
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
