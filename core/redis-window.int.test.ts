import { randomUUID } from "node:crypto";
import calculateSlot from "cluster-key-slot";
import { describe, expect, it, vi } from "vitest";
import { redisClusterClients, redisDeployments } from "../tests/support/redis-clients";
import { isCluster, type RedisClient } from "./redis-client";
import { RedisWindow } from "./redis-window";

const cluster = redisClusterClients();

describe.each(redisDeployments())("RedisWindow on %s", (_name, open) => {
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

describe("RedisWindow on a Redis Cluster", () => {
  const keysOverEveryPrimary = (client: RedisClient): string[] => {
    if (!isCluster(client)) throw new Error("a cluster client");
    const keys = Array.from({ length: 30 }, () => `rw:${randomUUID()}`);
    const servers = new Set(keys.map((k) => client.slots[calculateSlot(k)]?.[0]));
    expect(servers.size).toBe(3); // 30 random keys reach each of the 3 primaries
    return keys;
  };

  it("sends a window's commands as one pipeline per primary, not one write per command", async () => {
    const client = cluster();
    await client.get("rw:warm"); // the slot map is loaded
    const keys = keysOverEveryPrimary(client);
    const w = new RedisWindow(client);
    const pipelines = vi.spyOn(client, "pipeline");
    const alone = vi.spyOn(client, "get");
    const answers = await Promise.all([...keys.map((k) => w.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, k, 2)), ...keys.map((k) => w.get(k))]);
    expect(answers).toEqual([...keys.map(() => 2), ...keys.map(() => "2")]);
    expect(pipelines).toHaveBeenCalledTimes(3);
    expect(alone).not.toHaveBeenCalled();
    pipelines.mockRestore();
    alone.mockRestore();
    await Promise.all(keys.map((k) => client.del(k)));
  });

  it("sends each command alone when the slot map changed between grouping and sending, and runs each once", async () => {
    const client = cluster();
    await client.get("rw:warm");
    if (!isCluster(client)) throw new Error("a cluster client");
    const keys = keysOverEveryPrimary(client);
    const slots = keys.map((k) => calculateSlot(k));
    const saved = slots.map((s) => client.slots[s]);
    const first = client.slots[slots[0] as number] as string[];
    for (const s of slots) client.slots[s] = first; // this client groups them on one server; the server map says otherwise
    const w = new RedisWindow(client);
    const alone = vi.spyOn(client, "eval");
    try {
      const answers = await Promise.all(keys.map((k) => w.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", 1, k, 5)));
      expect(answers).toEqual(keys.map(() => 5));
      expect(alone).toHaveBeenCalledTimes(keys.length); // the refused pipeline ran none of them
    } finally {
      alone.mockRestore();
      slots.forEach((s, i) => (client.slots[s] = saved[i] as string[]));
    }
    expect(await Promise.all(keys.map((k) => client.get(k)))).toEqual(keys.map(() => "5"));
    await Promise.all(keys.map((k) => client.del(k)));
  });
});
