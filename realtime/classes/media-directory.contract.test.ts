import { redisClients, redisClusterClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { MediaDirectory } from "./media-directory";
import { runMediaDirectoryContract } from "./media-directory.case";
import { MemoryMediaDirectory } from "./media-directory-memory";
import { RedisMediaDirectory } from "./media-directory-redis";

const redis = redisClients();
const cluster = redisClusterClients();

applyContract<() => Promise<[MediaDirectory, MediaDirectory]>>(runMediaDirectoryContract, [
  {
    name: "memory",
    tier: "unit",
    open: async () => {
      const d = new MemoryMediaDirectory();
      return [d, d];
    },
  },
  {
    name: "Redis",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisMediaDirectory(redis(), prefix), new RedisMediaDirectory(redis(), prefix)];
    },
  },
  {
    name: "Redis Cluster",
    tier: "integration",
    open: async () => {
      const prefix = `${testNamespace()}:`;
      return [new RedisMediaDirectory(cluster(), prefix), new RedisMediaDirectory(cluster(), prefix)];
    },
  },
]);
