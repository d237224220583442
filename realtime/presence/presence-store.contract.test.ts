import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { PresenceStore } from "./presence-store";
import { runPresenceStoreContract } from "./presence-store.case";
import { MemoryPresenceStore } from "./presence-store-memory";
import { RedisPresenceStore } from "./presence-store-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<(nodeTtlMs: number) => Promise<[PresenceStore, PresenceStore]>>(runPresenceStoreContract, [
  {
    name: "memory",
    tier: "unit",
    open: async (ttl) => {
      const store = new MemoryPresenceStore(ttl);
      return [store, store];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async (ttl) => {
      const prefix = `${testNamespace()}:`;
      return [new RedisPresenceStore(redis(), prefix, ttl), new RedisPresenceStore(redis(), prefix, ttl)];
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async (ttl) => {
      const prefix = `${testNamespace()}:`;
      return [new RedisPresenceStore(cluster(), prefix, ttl), new RedisPresenceStore(cluster(), prefix, ttl)];
    },
  },
]);
