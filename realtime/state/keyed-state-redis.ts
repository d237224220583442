import type { RedisClient } from "../../core/redis-client";
import type { Claim, KeyedState } from "./keyed-state";

const PENDING = "\u0000pending:";

const LEASE = `
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
if not held and count >= tonumber(ARGV[2]) then return {0, count} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) * 2)
return {1, redis.call('ZCARD', KEYS[1])}`;

/** KeyedState on Redis: strings with EX for claims and flags, a sorted set (score = expiry) per lease scope. */
export class RedisKeyedState implements KeyedState {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private k = (key: string): string => `${this.prefix}k:${key}`;
  private l = (scope: string): string => `${this.prefix}lease:${scope}`;

  async claim(key: string, ttlSeconds: number, owner: string): Promise<Claim> {
    if ((await this.redis.set(this.k(key), PENDING + owner, "EX", ttlSeconds, "NX")) === "OK") return { state: "claimed" };
    const v = await this.redis.get(this.k(key));
    if (v === null) return this.claim(key, ttlSeconds, owner);
    return v.startsWith(PENDING) ? { state: "pending", owner: v.slice(PENDING.length) } : { state: "done", result: v };
  }

  async takeOver(key: string, ttlSeconds: number, owner: string): Promise<void> {
    await this.redis.set(this.k(key), PENDING + owner, "EX", ttlSeconds);
  }

  async complete(key: string, result: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k(key), result, "EX", ttlSeconds);
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.k(key));
  }

  async flag(key: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.k(key), "1", "EX", ttlSeconds);
  }

  async isFlagged(key: string): Promise<boolean> {
    return (await this.redis.exists(this.k(key))) === 1;
  }

  async lease(scope: string, id: string, limit: number, ttlMs: number): Promise<{ granted: boolean; count: number }> {
    const [granted, count] = (await this.redis.eval(LEASE, 1, this.l(scope), id, limit, Date.now(), ttlMs)) as [number, number];
    return { granted: granted === 1, count };
  }

  async renewLeases(scope: string, ids: string[], ttlMs: number): Promise<void> {
    if (ids.length === 0) return;
    const expiry = String(Date.now() + ttlMs);
    const args: string[] = new Array<string>(ids.length * 2);
    for (let i = 0; i < ids.length; i++) {
      args[2 * i] = expiry;
      args[2 * i + 1] = ids[i]!;
    }
    await this.redis.zadd(this.l(scope), "XX", ...args);
    await this.redis.pexpire(this.l(scope), ttlMs * 2);
  }

  async dropLease(scope: string, id: string): Promise<void> {
    await this.redis.zrem(this.l(scope), id);
  }

  async leaseCount(scope: string): Promise<number> {
    await this.redis.zremrangebyscore(this.l(scope), "-inf", Date.now());
    return this.redis.zcard(this.l(scope));
  }
}
