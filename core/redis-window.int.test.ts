import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redisClients, redisClusterClients } from "../tests/support/redis-clients";
import type { RedisClient } from "./redis-client";
import { RedisWindow } from "./redis-window";

const redis = redisClients();
const cluster = redisClusterClients();

describe.each([
  ["Redis", () => redis() as RedisClient],
  ["Redis Cluster", () => cluster()],
])("RedisWindow on %s", (_name, open) => {
  it("answers each command of a window with its own value or error, in order", async () => {
    const client = open();
    const w = new RedisWindow(client);
    const keys = Array.from({ length: 20 }, () => `rw:${randomUUID()}`);
    await client.set(keys[3]!, "three");
    const answers = await Promise.allSettled([
      ...keys.map((k) => w.get(k)),
      w.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, keys[5]!, 7),
      w.eval("return redis.error_reply('refused')", 0),
      w.get(keys[5]!),
    ]);
    expect(answers.slice(0, 20).map((a) => (a.status === "fulfilled" ? a.value : "failed"))).toEqual(keys.map((_, i) => (i === 3 ? "three" : null)));
    expect(answers[20]).toEqual({ status: "fulfilled", value: 7 });
    expect(answers[21]).toMatchObject({ status: "rejected", reason: { message: expect.stringContaining("refused") } });
    expect(answers[22]).toEqual({ status: "fulfilled", value: "7" });
    for (const k of [keys[3]!, keys[5]!]) await client.del(k);
  });
});
