import type { RedisClient } from "../../core/redis-client";
import { classStateKeys } from "../../core/tenant-keys";
import { CLASS_STATE_TTL_MS, type ClassClaim, type ClassStateStore } from "./class-state-store";
import type { ClassSnapshot } from "./class-snapshot";

// KEYS: snapshot, epoch (one slot: classStateKeys). ARGV: ttl.
const CLAIM = `
local epoch = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {epoch, redis.call('GET', KEYS[1])}`;

// KEYS: snapshot, epoch. ARGV: epoch, snapshot, ttl.
const SAVE = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

// KEYS: snapshot, epoch. ARGV: ttl.
const DROP = `
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`;

/** ClassStateStore on Redis (single server or cluster): a JSON snapshot and an epoch counter per class, one script per call. */
export class RedisClassStateStore implements ClassStateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlMs = CLASS_STATE_TTL_MS,
  ) {}

  private keys(tenant: string, classId: string): [string, string] {
    return [this.prefix + classStateKeys.snapshot(tenant, classId), this.prefix + classStateKeys.epoch(tenant, classId)];
  }

  async claim(tenant: string, classId: string): Promise<ClassClaim> {
    const [epoch, snapshot] = (await this.redis.eval(CLAIM, 2, ...this.keys(tenant, classId), this.ttlMs)) as [number, string | null];
    return { epoch: Number(epoch), snapshot: snapshot === null ? null : (JSON.parse(snapshot) as ClassSnapshot) };
  }

  async save(tenant: string, classId: string, epoch: number, snapshot: ClassSnapshot): Promise<boolean> {
    return Number(await this.redis.eval(SAVE, 2, ...this.keys(tenant, classId), String(epoch), JSON.stringify(snapshot), this.ttlMs)) === 1;
  }

  async drop(tenant: string, classId: string): Promise<void> {
    await this.redis.eval(DROP, 2, ...this.keys(tenant, classId), this.ttlMs);
  }
}
