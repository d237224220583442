import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { runMediaDirectoryContract } from "./media-directory.case";
import { RedisMediaDirectory } from "./media-directory-redis";

const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));
runMediaDirectoryContract("Redis", async () => {
  const prefix = `${testNamespace()}:`;
  const [r1, r2] = [new Redis(serviceEnv("REDIS_URL")), new Redis(serviceEnv("REDIS_URL"))];
  clients.push(r1, r2);
  return [new RedisMediaDirectory(r1, prefix), new RedisMediaDirectory(r2, prefix)];
});
