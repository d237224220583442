import { redisClients } from "../../tests/support/redis-clients";
import { testNamespace } from "../../tests/support/services";
import { applyContract } from "../../tests/support/tiers";
import type { PresenceStore } from "./presence-store";
import { runPresenceStoreContract } from "./presence-store.case";
import { MemoryPresenceStore } from "./presence-store-memory";
import { RedisPresenceStore } from "./presence-store-redis";

const redis = redisClients();

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
]);
