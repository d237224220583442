import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { HistoryOptions, HistoryStore } from "./history-store";
import { runHistoryStoreContract } from "./history-store.case";
import { MemoryHistoryStore } from "./history-store-memory";
import { RedisHistoryStore } from "./history-store-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<(options: HistoryOptions) => Promise<HistoryStore>>(runHistoryStoreContract, [
  { name: "memory", tier: "unit", open: async (options) => new MemoryHistoryStore(options) },
  { name: "Redis", tier: "integration", open: async (options) => new RedisHistoryStore(redis(), `${testNamespace()}:`, options) },
  { name: "Redis Cluster", tier: "integration", open: async (options) => new RedisHistoryStore(cluster(), `${testNamespace()}:`, options) },
]);
