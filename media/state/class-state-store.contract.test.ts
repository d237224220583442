import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { ClassStateStore } from "./class-state-store";
import { runClassStateStoreContract } from "./class-state-store.case";
import { MemoryClassStateStore } from "./class-state-store-memory";
import { RedisClassStateStore } from "./class-state-store-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<() => Promise<[ClassStateStore, ClassStateStore]>>(runClassStateStoreContract, [
  {
    name: "memory",
    tier: "unit",
    open: async () => {
      const s = new MemoryClassStateStore();
      return [s, s];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisClassStateStore(redis(), prefix), new RedisClassStateStore(redis(), prefix)];
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisClassStateStore(cluster(), prefix), new RedisClassStateStore(cluster(), prefix)];
    },
  },
]);
