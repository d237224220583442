import type { RedisClient } from "../../core/redis-client";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

/**
 * Per-school limit on outbound mail: `perMinute` messages a minute per tenant, counted in Redis when
 * given (every worker node shares the count), else in this process. Excess mail is not dropped: the
 * caller is told how long to wait and defers the delivery. A failed send is given back (only mail
 * that left counts).
 */
export class MailRateLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(perMinute: number, redis: RedisClient | undefined, keyPrefix: string) {
    const opts = { points: Math.max(1, perMinute), duration: 60, keyPrefix: `${keyPrefix}mail-rate` };
    this.limiter = redis ? new RateLimiterRedis({ storeClient: redis, ...opts }) : new RateLimiterMemory(opts);
  }

  /** Takes one message of the tenant's minute: 0 when it may be sent now, else ms until it may. */
  async take(tenant: string): Promise<number> {
    try {
      await this.limiter.consume(tenant, 1);
      return 0;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, err.msBeforeNext);
      throw err;
    }
  }

  /** Gives back the message of a send that failed: only mail that left counts against the school. */
  async giveBack(tenant: string): Promise<void> {
    await this.limiter.reward(tenant, 1).catch(() => undefined);
  }
}
