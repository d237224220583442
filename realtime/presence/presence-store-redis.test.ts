import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { runPresenceStoreContract } from "./presence-store.case";
import { RedisPresenceStore } from "./presence-store-redis";

const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

runPresenceStoreContract("Redis", async (ttl) => {
  const prefix = `${testNamespace()}:`;
  const [r1, r2] = [new Redis(serviceEnv("REDIS_URL")), new Redis(serviceEnv("REDIS_URL"))];
  clients.push(r1, r2);
  return [new RedisPresenceStore(r1, prefix, ttl), new RedisPresenceStore(r2, prefix, ttl)];
});
