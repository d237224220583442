import type { Cluster, Redis } from "ioredis";

/**
 * The Redis connection every Redis-backed store takes: one server (`Redis`) or a Redis Cluster
 * (`Cluster`), both ioredis, with the same command API. On a cluster every multi-key command, script or
 * MULTI must touch keys of one slot: the multi-key ones build their keys with the hash tags of
 * core/tenant-keys.ts (`slotTags`); single-key commands and scripts need none.
 */
export type RedisClient = Redis | Cluster;

/** Whether the client is a Redis Cluster connection. */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}
