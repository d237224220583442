import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { runMediaRpcContract } from "./media-rpc.case";
import { RedisMediaRpc } from "./media-rpc-redis";

const open: Array<{ close(): Promise<void> } | Redis> = [];
afterAll(async () => {
  for (const o of open) await ("disconnect" in o ? Promise.resolve(o.disconnect()) : o.close());
});
runMediaRpcContract("Redis", async () => {
  const prefix = `${testNamespace()}:`;
  const [r1, r2] = [new Redis(serviceEnv("REDIS_URL")), new Redis(serviceEnv("REDIS_URL"))];
  const rpcs: [RedisMediaRpc, RedisMediaRpc] = [new RedisMediaRpc(r1, prefix), new RedisMediaRpc(r2, prefix)];
  open.push(...rpcs, r1, r2);
  return rpcs;
});
