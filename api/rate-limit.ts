import type { RedisClient } from "../core/redis-client";
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError, ErrorCode } from "../core/errors";
import { RateBackoff } from "./rate-backoff";

export interface TenantRateLimitOptions {
  /** Redis for a cluster-wide count; absent → per process (embedded). */
  redis?: RedisClient;
  keyPrefix: string;
  /** Burst allowance: extra `burstFactor - 1` × the per-minute limit per minute, for up to `burstSeconds`. Defaults 2 and 300. */
  burstFactor?: number;
  burstSeconds?: number;
  /** Progressive backoff of schools that keep hitting the limit (api/rate-backoff.ts): longest penalty and quiet window, ms. Defaults 15 and 10 min. */
  backoffCapMs?: number;
  backoffQuietMs?: number;
}

/**
 * Per-tenant request limit (rate-limiter-flexible): `limit` requests a minute, plus a burst bucket that
 * lets a tenant run at `burstFactor`× for `burstSeconds` before it is held to the base rate.
 */
export class TenantRateLimiter {
  private readonly limiters = new Map<number, BurstyRateLimiter>();
  private readonly backoff: RateBackoff;

  constructor(private readonly options: TenantRateLimitOptions) {
    this.backoff = new RateBackoff({ redis: options.redis, keyPrefix: `${options.keyPrefix}backoff:`, capMs: options.backoffCapMs, quietMs: options.backoffQuietMs });
  }

  private limiter(limit: number): BurstyRateLimiter {
    let limiter = this.limiters.get(limit);
    if (!limiter) {
      const burstFactor = this.options.burstFactor ?? 2;
      const burstSeconds = this.options.burstSeconds ?? 300;
      const make = (points: number, duration: number, suffix: string): RateLimiterAbstract =>
        this.options.redis
          ? new RateLimiterRedis({ storeClient: this.options.redis, points, duration, keyPrefix: `${this.options.keyPrefix}${suffix}:${limit}` })
          : new RateLimiterMemory({ points, duration, keyPrefix: `${this.options.keyPrefix}${suffix}:${limit}` });
      const burstPoints = Math.round(limit * (burstFactor - 1) * (burstSeconds / 60));
      limiter = new BurstyRateLimiter(make(limit, 60, "rate"), make(Math.max(1, burstPoints), burstSeconds, "burst"));
      this.limiters.set(limit, limiter);
    }
    return limiter;
  }

  /**
   * Counts one request; throws 3000 (temporary, with retryAfterMs: REST `Retry-After`) when over the limit, or while
   * the school serves a backoff penalty — each refusal by the limiter doubles it (RateBackoff).
   */
  async consume(tenant: string, limit: number): Promise<{ remaining: number }> {
    const refused = (ms: number, why: string) => new AppError(ErrorCode.RateLimited, why, { retryAfterMs: Math.max(1_000, Math.ceil(ms)) });
    let limited: RateLimiterRes;
    try {
      const blocked = await this.backoff.blockedFor(tenant);
      if (blocked > 0) throw refused(blocked, `tenant rate limit of ${limit} requests/min exceeded repeatedly: backing off`);
      const res = await this.limiter(limit).consume(tenant, 1);
      return { remaining: res.remainingPoints };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (!(err instanceof RateLimiterRes)) throw new AppError(ErrorCode.Unavailable, "rate limiter unavailable", { cause: err });
      limited = err;
    }
    const { waitMs } = await this.backoff.strike(tenant, limited.msBeforeNext).catch((err: unknown) => {
      throw new AppError(ErrorCode.Unavailable, "rate limiter unavailable", { cause: err });
    });
    throw refused(waitMs, `tenant rate limit of ${limit} requests/min exceeded`);
  }
}
