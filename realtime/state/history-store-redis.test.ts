import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { runHistoryStoreContract } from "./history-store.case";
import { RedisHistoryStore } from "./history-store-redis";

const redis = new Redis(serviceEnv("REDIS_URL"));
afterAll(() => redis.disconnect());
runHistoryStoreContract("Redis", async (options) => new RedisHistoryStore(redis, `${testNamespace()}:`, options));
