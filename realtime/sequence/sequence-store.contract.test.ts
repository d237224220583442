import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { SequenceSeed, SequenceStore } from "./sequence-store";
import { runSequenceStoreContract } from "./sequence-store.case";
import { MemorySequenceStore } from "./sequence-store-memory";
import { RedisSequenceStore } from "./sequence-store-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<(seed: SequenceSeed) => Promise<[SequenceStore, SequenceStore]>>(runSequenceStoreContract, [
  {
    name: "memory",
    tier: "unit",
    open: async (seed) => {
      const store = new MemorySequenceStore(seed);
      return [store, store];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async (seed) => {
      const prefix = `${testNamespace()}:`;
      return [new RedisSequenceStore(redis(), prefix, seed), new RedisSequenceStore(redis(), prefix, seed)];
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async (seed) => {
      const prefix = `${testNamespace()}:`;
      return [new RedisSequenceStore(cluster(), prefix, seed, 1), new RedisSequenceStore(cluster(), prefix, seed, 1)];
    },
  },
]);
