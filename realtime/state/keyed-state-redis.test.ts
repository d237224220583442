import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { runKeyedStateContract } from "./keyed-state.case";
import { RedisKeyedState } from "./keyed-state-redis";

const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));
runKeyedStateContract("Redis", async () => {
  const prefix = `${testNamespace()}:`;
  const [r1, r2] = [new Redis(serviceEnv("REDIS_URL")), new Redis(serviceEnv("REDIS_URL"))];
  clients.push(r1, r2);
  return [new RedisKeyedState(r1, prefix), new RedisKeyedState(r2, prefix)];
});
