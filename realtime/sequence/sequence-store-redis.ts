import type { RedisClient } from "../../core/redis-client";
import type { SequenceSeed, SequenceStore } from "./sequence-store";

const SEEDED_INCR = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '' then return nil end
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
end
return redis.call('INCR', KEYS[1])`;

/**
 * SequenceStore on Redis: INCR on `{prefix}seq:{key}`, cluster-wide atomic. A missing counter is first
 * seeded from `seed` (with SET NX, so concurrent seeders agree), then incremented in the same script.
 */
export class RedisSequenceStore implements SequenceStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly seed: SequenceSeed = async () => 0,
  ) {}

  async current(key: string): Promise<number> {
    const value = await this.redis.get(`${this.prefix}seq:${key}`);
    if (value !== null) return Number(value);
    const seeded = await this.seed(key);
    await this.redis.set(`${this.prefix}seq:${key}`, String(seeded), "NX");
    return Number(await this.redis.get(`${this.prefix}seq:${key}`));
  }

  async next(key: string): Promise<number> {
    const redisKey = `${this.prefix}seq:${key}`;
    const first = await this.redis.eval(SEEDED_INCR, 1, redisKey, "");
    if (first !== null) return Number(first);
    const seeded = await this.seed(key);
    return Number(await this.redis.eval(SEEDED_INCR, 1, redisKey, String(seeded)));
  }
}
