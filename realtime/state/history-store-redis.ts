import type { RedisClient } from "../../core/redis-client";
import { historyDefaults, type HistoryOptions, type HistoryStore } from "./history-store";

const APPEND = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

/** HistoryStore on a Redis sorted set per stream (`{prefix}h:{stream}`, score = seq), trimmed atomically. */
export class RedisHistoryStore implements HistoryStore {
  private readonly options: HistoryOptions;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    options: Partial<HistoryOptions> = {},
  ) {
    this.options = { ...historyDefaults, ...options };
  }

  async append(stream: string, seq: number, payload: string): Promise<void> {
    await this.redis.eval(APPEND, 1, `${this.prefix}h:${stream}`, seq, payload, this.options.size, this.options.ttlSeconds);
  }

  async since(stream: string, after: number, limit: number): Promise<Array<{ seq: number; payload: string }>> {
    const flat = await this.redis.zrangebyscore(`${this.prefix}h:${stream}`, `(${after}`, "+inf", "WITHSCORES", "LIMIT", 0, limit);
    const out: Array<{ seq: number; payload: string }> = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ payload: flat[i] as string, seq: Number(flat[i + 1]) });
    return out;
  }
}
