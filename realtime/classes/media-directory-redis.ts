import type { RedisClient } from "../../core/redis-client";
import { mediaKeys } from "../../core/tenant-keys";
import { AppError, ErrorCode } from "../../core/errors";
import { classHash, type MediaDirectory } from "./media-directory";

const PLACEMENT_TTL_MS = 86_400_000;

// KEYS: placement, node set. ARGV: node key prefix, hash, placement ttl. The node keys it computes share
// the slot of KEYS (core/tenant-keys.ts slotTags.media), so it runs on a Redis Cluster too.
const LOCATE = `
local cur = redis.call('GET', KEYS[1])
if cur and redis.call('EXISTS', ARGV[1] .. cur) == 1 then return cur end
local live = {}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. n) == 1 then table.insert(live, n) else redis.call('SREM', KEYS[2], n) end
end
if #live == 0 then return false end
table.sort(live)
local pick = live[(tonumber(ARGV[2]) % #live) + 1]
redis.call('SET', KEYS[1], pick, 'PX', ARGV[3])
return pick`;

/** MediaDirectory on Redis: a key with a TTL per media node, a placement key per class, one Lua script to locate. */
export class RedisMediaDirectory implements MediaDirectory {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async register(nodeId: string, ttlMs: number): Promise<void> {
    await this.redis.multi().set(this.prefix + mediaKeys.node(nodeId), "1", "PX", ttlMs).sadd(this.prefix + mediaKeys.nodes, nodeId).exec();
  }

  async unregister(nodeId: string): Promise<void> {
    await this.redis.multi().del(this.prefix + mediaKeys.node(nodeId)).srem(this.prefix + mediaKeys.nodes, nodeId).exec();
  }

  async locate(classKey: string): Promise<string> {
    const node = (await this.redis.eval(LOCATE, 2, this.prefix + mediaKeys.placement(classKey), this.prefix + mediaKeys.nodes, this.prefix + mediaKeys.nodePrefix, classHash(classKey), PLACEMENT_TTL_MS)) as string | null;
    if (!node) throw new AppError(ErrorCode.MediaUnavailable, "no media node is available for live classes");
    return node;
  }

  async forget(classKey: string): Promise<void> {
    await this.redis.del(this.prefix + mediaKeys.placement(classKey));
  }
}
