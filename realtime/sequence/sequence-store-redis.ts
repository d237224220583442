import type { RedisClient } from "../../core/redis-client";
import { RedisWindow } from "../../core/redis-window";
import { sequenceKeys } from "../../core/tenant-keys";
import { NUMBERED_ID_TTL_SECONDS, type SequenceSeed, type SequenceStore } from "./sequence-store";

/** How long a number waits for a replica to confirm it, ms (then it is handed out anyway). */
const REPLICA_WAIT_MS = 100;

/** KEYS[2], when given, is a message id's number: returned when there, else recorded (ARGV[2]: its ttl, s). */
const SEEDED_INCR = `
if KEYS[2] then
  local taken = redis.call('GET', KEYS[2])
  if taken then return tonumber(taken) end
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '' then return nil end
  redis.call('SET', KEYS[1], ARGV[1], 'NX')
end
local n = redis.call('INCR', KEYS[1])
if KEYS[2] then redis.call('SET', KEYS[2], n, 'EX', ARGV[2]) end
return n`;

/** `sequenceKeys.numberedId`, refused for a counter key with a brace (it would have a hash tag of its own). */
function numberedIdKey(counterKey: string, id: string): string {
  if (/[{}]/.test(counterKey)) throw new Error(`sequence key with a brace: ${counterKey}`);
  return sequenceKeys.numberedId(counterKey, id);
}

/**
 * SequenceStore on Redis: INCR on `{prefix}seq:{key}`, cluster-wide atomic. A missing counter is first
 * seeded from `seed` (with SET NX, so concurrent seeders agree), then incremented in the same script. With a
 * message id the script first looks for the id's number (`{<counter key>}:id:<id>`) and returns it if taken,
 * else records the number it takes (NUMBERED_ID_TTL_SECONDS).
 * With `replicas` > 0 (a Redis Cluster, whose primaries each have a replica) each number is handed out
 * only once that many replicas hold the counter (WAIT, at most 100 ms, pipelined to the counter's primary):
 * replication is asynchronous, so a primary killed right after an INCR could otherwise leave its replica,
 * promoted in its place, one behind — and hand out the same number twice.
 */
export class RedisSequenceStore implements SequenceStore {
  private readonly seeding = new Map<string, Promise<number>>();
  /** Reads of a reconnect storm (each rejoin reads its streams' counters) share a pipeline per window. */
  private readonly reads: RedisWindow;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly seed: SequenceSeed = async () => 0,
    private readonly replicas = 0,
  ) {
    this.reads = new RedisWindow(redis);
  }

  /**
   * The script's result, after WAIT when replicas are asked for (same pipeline, so same node). `numbered`
   * gets a number as soon as the script's reply is in, before WAIT's (up to REPLICA_WAIT_MS later).
   */
  private async incr(redisKey: string, seed: string, numbered?: (n: number) => void, id?: string): Promise<unknown> {
    const taken = (value: unknown): void => {
      if (value !== null && value !== undefined) numbered?.(Number(value));
    };
    const keys = id === undefined ? [redisKey] : [redisKey, numberedIdKey(redisKey, id)];
    if (this.replicas === 0) {
      const value = await this.redis.eval(SEEDED_INCR, keys.length, ...keys, seed, NUMBERED_ID_TTL_SECONDS);
      taken(value);
      return value;
    }
    const pipeline = this.redis.pipeline().eval(SEEDED_INCR, keys.length, ...keys, seed, NUMBERED_ID_TTL_SECONDS, (err, value) => {
      if (!err) taken(value);
    });
    const results = (await pipeline.call("WAIT", this.replicas, REPLICA_WAIT_MS).exec()) ?? [];
    const [err, value] = results[0] ?? [new Error("no reply")];
    if (err) throw err;
    return value;
  }

  /** The seed of a missing counter: concurrent callers on this node share one read of it. */
  private sharedSeed(key: string): Promise<number> {
    let seeding = this.seeding.get(key);
    if (!seeding) {
      seeding = this.seed(key).finally(() => this.seeding.delete(key));
      this.seeding.set(key, seeding);
    }
    return seeding;
  }

  /**
   * The counter's value; a missing counter is seeded first. Concurrent reads of one missing counter on
   * this node share one seeding (one database read): a reconnect storm rejoins every member of a room at
   * once, and a seed each exhausted the PostgreSQL pool (room:join answered 5000).
   */
  async current(key: string): Promise<number> {
    const redisKey = `${this.prefix}seq:${key}`;
    const value = await this.reads.get(redisKey);
    if (value !== null) return Number(value);
    const seeded = await this.sharedSeed(key);
    await this.redis.set(redisKey, String(seeded), "NX");
    return Number(await this.redis.get(redisKey));
  }

  /**
   * The next number; a missing counter is seeded first, one database read per node however many send
   * at once (a room's first messages, or every room after its counters were lost, each read the seed and
   * exhausted the PostgreSQL pool: room:message answered 5000).
   */
  async next(key: string, numbered?: (n: number) => void, id?: string): Promise<number> {
    const redisKey = `${this.prefix}seq:${key}`;
    const first = await this.incr(redisKey, "", numbered, id);
    if (first !== null) return Number(first);
    const seeded = await this.sharedSeed(key);
    return Number(await this.incr(redisKey, String(seeded), numbered, id));
  }
}
