import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { AppError, ErrorCode } from "../core/errors";
import { RateBackoff } from "./rate-backoff";
import { TenantRateLimiter } from "./rate-limit";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Progressive API backoff; `redis()` gives the shared store (undefined: one process, memory). */
export function runRateBackoffCase(name: string, redis: () => Redis | undefined, prefix: () => string): void {
  describe(`API rate limit backoff: ${name}`, () => {
    it("doubles the penalty per refusal up to the cap, the same on every node, and starts over after a quiet window", async () => {
      const r = redis();
      const keyPrefix = prefix();
      const nodeA = new RateBackoff({ redis: r, keyPrefix, capMs: 800, quietMs: 300 });
      const nodeB = r ? new RateBackoff({ redis: r, keyPrefix, capMs: 800, quietMs: 300 }) : nodeA;
      const t = "school-busy";
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { strikes, waitMs } = await (i % 2 ? nodeB : nodeA).strike(t, 100);
        expect(strikes).toBe(i + 1);
        waits.push(waitMs);
        const left = await (i % 2 ? nodeA : nodeB).blockedFor(t); // the other node sees the penalty
        expect(left).toBeGreaterThan(0);
        expect(left).toBeLessThanOrEqual(waitMs);
        await sleep(waitMs + 20);
        expect(await nodeA.blockedFor(t)).toBe(0);
      }
      expect(waits).toEqual([100, 200, 400, 800, 800]);
      expect(await nodeB.blockedFor("school-calm")).toBe(0);
      await sleep(350); // quiet after the last penalty
      expect(await nodeB.strike(t, 100)).toEqual({ strikes: 1, waitMs: 100 });
    });

    it("the limiter refuses during a penalty with what is left of it as Retry-After", async () => {
      const r = redis();
      const keyPrefix = prefix();
      const a = new TenantRateLimiter({ redis: r, keyPrefix, burstFactor: 1 });
      const b = r ? new TenantRateLimiter({ redis: r, keyPrefix, burstFactor: 1 }) : a;
      const refusal = async (p: Promise<unknown>) =>
        p.then(
          () => undefined,
          (e: unknown) => (e instanceof AppError ? { code: e.code, retryAfter: (e.retryAfterMs ?? 0) / 1000 } : undefined),
        );
      await a.consume("t1", 1);
      await b.consume("t1", 1).catch(() => undefined); // the burst bucket's one point
      const first = await refusal(a.consume("t1", 1));
      expect(first?.code).toBe(ErrorCode.RateLimited);
      expect(first?.retryAfter).toBeGreaterThan(50); // the limiter's own wait: the rest of its minute
      const during = await refusal(b.consume("t1", 1));
      expect(during?.code).toBe(ErrorCode.RateLimited);
      expect(during?.retryAfter).toBeLessThanOrEqual(first?.retryAfter ?? 0);
      expect(during?.retryAfter).toBeGreaterThan(50);
      expect(await a.consume("t2", 1)).toEqual({ remaining: 0 }); // another school is not held
    });
  });
}
