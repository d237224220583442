import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { runSequenceStoreContract } from "./sequence-store.case";
import { RedisSequenceStore } from "./sequence-store-redis";

const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

runSequenceStoreContract("Redis", async (seed) => {
  const prefix = `${testNamespace()}:`;
  const [r1, r2] = [new Redis(serviceEnv("REDIS_URL")), new Redis(serviceEnv("REDIS_URL"))];
  clients.push(r1, r2);
  return [new RedisSequenceStore(r1, prefix, seed), new RedisSequenceStore(r2, prefix, seed)];
});
