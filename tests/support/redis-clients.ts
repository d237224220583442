import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { clusterClient } from "../../app/redis-connections";
import type { RedisClient } from "../../core/redis-client";
import { serviceEnv } from "./services";

/**
 * Redis connections to the provisioned server for a contract runner's Redis backend, opened on demand
 * (so the unit tier, which runs only the memory backend, opens none) and closed after the file.
 */
export function redisClients(): () => Redis {
  const open: Redis[] = [];
  afterAll(() => open.forEach((c) => c.disconnect()));
  return () => {
    const client = new Redis(serviceEnv("REDIS_URL"));
    open.push(client);
    return client;
  };
}

/** The same for the provisioned Redis Cluster (REDIS_CLUSTER_NODES): the client the app opens for it (`sharded`: its sharded subscriber). */
export function redisClusterClients(options: { sharded?: boolean } = {}): () => RedisClient {
  const open: RedisClient[] = [];
  afterAll(() => open.forEach((c) => c.disconnect()));
  return () => {
    const client = clusterClient(serviceEnv("REDIS_CLUSTER_NODES").split(","), options);
    open.push(client);
    return client;
  };
}

/** Both Redis deployments as a `describe.each` table: [name, open a client] for one server and for the cluster. */
export function redisDeployments(): Array<[string, () => RedisClient]> {
  const redis = redisClients();
  const cluster = redisClusterClients();
  return [
    ["Redis", () => redis()],
    ["Redis Cluster", () => cluster()],
  ];
}
