import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { KeyedState } from "./keyed-state";
import { runKeyedStateContract } from "./keyed-state.case";
import { MemoryKeyedState } from "./keyed-state-memory";
import { RedisKeyedState } from "./keyed-state-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<() => Promise<[KeyedState, KeyedState]>>(runKeyedStateContract, [
  {
    name: "memory",
    tier: "unit",
    open: async () => {
      const s = new MemoryKeyedState();
      return [s, s];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisKeyedState(redis(), prefix), new RedisKeyedState(redis(), prefix)];
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisKeyedState(cluster(), prefix), new RedisKeyedState(cluster(), prefix)];
    },
  },
]);
