import type { RedisClient } from "../core/redis-client";
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError, ErrorCode } from "../core/errors";

export interface TenantRateLimitOptions {
  /** Redis for a cluster-wide count; absent → per process (embedded). */
  redis?: RedisClient;
  keyPrefix: string;
  /** Burst allowance: extra `burstFactor - 1` × the per-minute limit per minute, for up to `burstSeconds`. Defaults 2 and 300. */
  burstFactor?: number;
  burstSeconds?: number;
}

/**
 * Per-tenant request limit (rate-limiter-flexible): `limit` requests a minute, plus a burst bucket that
 * lets a tenant run at `burstFactor`× for `burstSeconds` before it is held to the base rate.
 */
export class TenantRateLimiter {
  private readonly limiters = new Map<number, BurstyRateLimiter>();

  constructor(private readonly options: TenantRateLimitOptions) {}

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

  /** Counts one request; throws 3000 (temporary, with retryAfterSeconds) when over the limit. */
  async consume(tenant: string, limit: number): Promise<{ remaining: number }> {
    try {
      const res = await this.limiter(limit).consume(tenant, 1);
      return { remaining: res.remainingPoints };
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw Object.assign(new AppError(ErrorCode.RateLimited, `tenant rate limit of ${limit} requests/min exceeded`), {
          retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
        });
      }
      throw new AppError(ErrorCode.Unavailable, "rate limiter unavailable", { cause: err });
    }
  }
}
