import type { RedisClient } from "../core/redis-client";

export interface RateBackoffOptions {
  /** Redis, so every node applies the same penalty; absent → per process (embedded). */
  redis?: RedisClient;
  keyPrefix: string;
  /** Longest penalty, ms. Default 900,000 (15 min). */
  capMs?: number;
  /** Refusal-free time after a penalty that resets the doubling, ms. Default 600,000 (10 min). */
  quietMs?: number;
}

// KEYS: strikes hash, block key. ARGV: first wait ms, cap ms, quiet ms. Returns {strikes, wait ms}.
const STRIKE = `
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local wait = tonumber(ARGV[1])
if n > 1 and last * 2 > wait then wait = last * 2 end
if wait > tonumber(ARGV[2]) then wait = tonumber(ARGV[2]) end
wait = math.max(1, math.floor(wait))
redis.call('HSET', KEYS[1], 'last', wait)
redis.call('PEXPIRE', KEYS[1], wait + tonumber(ARGV[3]))
redis.call('SET', KEYS[2], '1', 'PX', wait)
return {n, wait}
`;

/**
 * Progressive backoff of a school that keeps hitting the API rate limit, the same on every node: each
 * refusal by the limiter ("strike") blocks the school for a penalty — the limiter's own wait the first
 * time, then at least twice the previous penalty, up to `capMs` — and every request during a penalty is
 * refused with what is left of it (`Retry-After`). A school refused nothing for `quietMs` after its
 * last penalty starts over.
 */
export class RateBackoff {
  private readonly memory = new Map<string, { strikes: number; last: number; blockedUntil: number; forgetAt: number }>();
  private readonly capMs: number;
  private readonly quietMs: number;

  constructor(private readonly options: RateBackoffOptions) {
    this.capMs = options.capMs ?? 900_000;
    this.quietMs = options.quietMs ?? 600_000;
  }

  private keys(tenant: string): [string, string] {
    // one hash tag per school: the strike script touches both keys, which a Redis Cluster needs in one slot
    return [`${this.options.keyPrefix}strikes:{${tenant}}`, `${this.options.keyPrefix}blocked:{${tenant}}`];
  }

  /** What is left of the tenant's penalty, ms (0: none). */
  async blockedFor(tenant: string): Promise<number> {
    const redis = this.options.redis;
    if (redis) return Math.max(0, await redis.pttl(this.keys(tenant)[1]));
    const m = this.memory.get(tenant);
    return m ? Math.max(0, m.blockedUntil - Date.now()) : 0;
  }

  /** Records a refusal whose limiter wait was `limiterWaitMs`; returns the strike count and the penalty. */
  async strike(tenant: string, limiterWaitMs: number): Promise<{ strikes: number; waitMs: number }> {
    const redis = this.options.redis;
    if (redis) {
      const [strikes, waitMs] = (await redis.eval(STRIKE, 2, ...this.keys(tenant), Math.round(limiterWaitMs), this.capMs, this.quietMs)) as [number, number];
      return { strikes, waitMs };
    }
    const now = Date.now();
    const prev = this.memory.get(tenant);
    const fresh = !prev || prev.forgetAt <= now;
    const strikes = fresh ? 1 : prev.strikes + 1;
    const waitMs = Math.max(1, Math.floor(Math.min(this.capMs, fresh ? limiterWaitMs : Math.max(limiterWaitMs, prev.last * 2))));
    this.memory.set(tenant, { strikes, last: waitMs, blockedUntil: now + waitMs, forgetAt: now + waitMs + this.quietMs });
    return { strikes, waitMs };
  }
}
