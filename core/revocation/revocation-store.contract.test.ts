import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { RevocationStore } from "./revocation-store";
import { runRevocationStoreContract } from "./revocation-store.case";
import { MemoryRevocationStore } from "./revocation-store-memory";
import { RedisRevocationStore } from "./revocation-store-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<(retentionMs: number) => Promise<[RevocationStore, RevocationStore]>>(runRevocationStoreContract, [
  {
    name: "memory",
    tier: "unit",
    open: async (retentionMs) => {
      const s = new MemoryRevocationStore(retentionMs);
      return [s, s];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async (retentionMs) => {
      const prefix = `${testNamespace()}:`;
      return [new RedisRevocationStore(redis(), prefix, retentionMs), new RedisRevocationStore(redis(), prefix, retentionMs)];
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async (retentionMs) => {
      const prefix = `${testNamespace()}:`;
      return [new RedisRevocationStore(cluster(), prefix, retentionMs), new RedisRevocationStore(cluster(), prefix, retentionMs)];
    },
  },
]);
