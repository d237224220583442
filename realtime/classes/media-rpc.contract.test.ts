import { afterAll } from "vitest";
import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { MediaRpc } from "./media-rpc";
import { runMediaRpcContract } from "./media-rpc.case";
import { MemoryMediaRpc } from "./media-rpc-memory";
import { RedisMediaRpc } from "./media-rpc-redis";

const redis = redisClients();
const cluster = redisClusterClients();
const rpcs: RedisMediaRpc[] = [];
// after hooks run in reverse order: the transports close before their Redis connections
afterAll(async () => {
  for (const rpc of rpcs) await rpc.close();
});

applyContract<() => Promise<[MediaRpc, MediaRpc]>>(runMediaRpcContract, [
  {
    name: "memory",
    tier: "unit",
    open: async () => {
      const rpc = new MemoryMediaRpc();
      return [rpc, rpc];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      const pair: [RedisMediaRpc, RedisMediaRpc] = [new RedisMediaRpc(redis(), prefix), new RedisMediaRpc(redis(), prefix)];
      rpcs.push(...pair);
      return pair;
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      const pair: [RedisMediaRpc, RedisMediaRpc] = [new RedisMediaRpc(cluster(), prefix), new RedisMediaRpc(cluster(), prefix)];
      rpcs.push(...pair);
      return pair;
    },
  },
]);
