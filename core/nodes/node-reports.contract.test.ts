import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { NodeReports } from "./node-reports";
import { runNodeReportsContract } from "./node-reports.case";
import { MemoryNodeReports } from "./node-reports-memory";
import { RedisNodeReports } from "./node-reports-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<() => Promise<[NodeReports, NodeReports]>>(runNodeReportsContract, [
  {
    name: "memory",
    tier: "unit",
    open: async () => {
      const s = new MemoryNodeReports();
      return [s, s];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisNodeReports(redis(), prefix), new RedisNodeReports(redis(), prefix)];
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisNodeReports(cluster(), prefix), new RedisNodeReports(cluster(), prefix)];
    },
  },
]);
