import { describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { LoadGuard, RETRY_BASE_MS, RETRY_MAX_MS } from "./load-guard";

const block = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LoadGuard", () => {
  it("throttles with 5005 (temporary) while the event loop is saturated, halving per window, and recovers", () => {
    const changes: boolean[] = [];
    // windows fed by hand (the timer's own, every minute, does not fire during the test)
    const guard: LoadGuard = new LoadGuard(
      40,
      (throttling) => {
        changes.push(throttling);
        if (throttling) expect(() => guard.admit()).toThrow(expect.objectContaining({ code: ErrorCode.Overloaded, temporary: true }));
      },
      60_000,
    );
    try {
      expect(() => guard.admit()).not.toThrow(); // a message offered
      guard.observe(60, 0.95);
      expect(guard.share).toBe(0.5);
      guard.observe(60, 0.95);
      guard.observe(60, 0.95);
      expect(guard.share).toBe(0.125); // several saturated windows: ½, ¼, ⅛
      guard.observe(60, 0.5); // late but not busy: not saturated, gives back a quarter
      expect(guard.share).toBe(0.375);
      expect(changes).toEqual([true]);
      guard.observe(5, 0.95); // busy but on time: 0.625
      guard.observe(5, 0.95); // 0.875
      expect(changes).toEqual([true]);
      guard.observe(5, 0.95);
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

  it("tells the refused when to retry: longer the less it admits, spread ±50 %, capped, without a stack trace", () => {
    let r = 0;
    const guard = new LoadGuard(40, () => undefined, 60_000, () => r);
    const refusedWith = (): { retryAfterMs: number | undefined; body: unknown; stack: string | undefined } => {
      for (let i = 0; i < 64; i++) {
        try {
          guard.admit();
        } catch (err) {
          const e = err as { code: number; retryAfterMs?: number; stack?: string; toBody(): unknown };
          expect(e.code).toBe(ErrorCode.Overloaded);
          return { retryAfterMs: e.retryAfterMs, body: e.toBody(), stack: e.stack };
        }
      }
      throw new Error("never refused");
    };
    try {
      guard.admit();
      guard.observe(60, 0.95); // share ½
      r = 0.5; // the middle of the spread
      const half = refusedWith();
      expect(half.retryAfterMs).toBe(RETRY_BASE_MS * 2);
      expect(half.body).toMatchObject({ code: ErrorCode.Overloaded, temporary: true, retryAfterMs: RETRY_BASE_MS * 2 });
      expect(half.stack ?? "").not.toMatch(/\n\s+at /); // no frames captured
      guard.observe(60, 0.95);
      guard.observe(60, 0.95); // share ⅛
      expect(refusedWith().retryAfterMs).toBe(RETRY_BASE_MS * 8);
      r = 0; // the spread's ends: ×0.5 … ×1.5
      expect(refusedWith().retryAfterMs).toBe(RETRY_BASE_MS * 4);
      r = 0.999;
      expect(refusedWith().retryAfterMs).toBe(Math.round(RETRY_BASE_MS * 8 * 1.499));
      for (let i = 0; i < 4; i++) guard.observe(60, 0.95); // share at its floor, 1/32
      r = 0.5;
      expect(guard.share).toBe(1 / 32);
      expect(refusedWith().retryAfterMs).toBe(RETRY_BASE_MS * 32);
      r = 0.999;
      expect(refusedWith().retryAfterMs).toBe(RETRY_MAX_MS); // 500 × 32 × 1.499 capped
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
