import { Redis } from "ioredis";
import { freePort, spawnService, waitUntil, type ServiceProcess } from "./process";

export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } finally {
    client.disconnect();
  }
}

/** Starts a throwaway Redis (no persistence) on a free loopback port. */
export async function startRedis(bin: string, dir: string, logDir: string): Promise<{ url: string; proc: ServiceProcess }> {
  const port = await freePort();
  const proc = spawnService({
    name: "redis",
    command: bin,
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no"],
    logFile: `${logDir}/redis.log`,
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitUntil("redis", () => redisAnswers(url), { timeoutMs: 10_000, proc });
  return { url, proc };
}
