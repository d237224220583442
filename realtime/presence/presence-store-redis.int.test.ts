import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { presenceKeys } from "../../core/tenant-keys";
import type { RedisClient } from "../../core/redis-client";
import { redisDeployments } from "../../tests/support/redis-clients";
import { RedisPresenceStore } from "./presence-store-redis";

describe.each(redisDeployments())("RedisPresenceStore.statuses on %s", (_name, open) => {
  it("refuses when a user's read fails, instead of answering offline", async () => {
    const client = open();
    const prefix = `pst-${randomUUID()}:`;
    const store = new RedisPresenceStore(client, prefix);
    const tenant = "school-a";
    await store.connect({ tenant, user: "ana", sessionId: "s1" }, "node-1");
    expect(await store.statuses(tenant, ["ana", "bo"])).toEqual({ ana: "online", bo: "offline" });
    // bo's key holds a string: HVALS answers WRONGTYPE for it, as a read meeting a failing server answers an error
    const broken = `${prefix}p:${presenceKeys.user(tenant, "bo")}`;
    await client.set(broken, "not a hash");
    await expect(store.statuses(tenant, ["ana", "bo"])).rejects.toThrow(/WRONGTYPE/);
    await client.del(broken);
    await store.disconnect({ tenant, user: "ana", sessionId: "s1" });
  });
});

/** The client with every script held `ms` before it is sent: a node whose commands wait in its own queue (a Redis failover backs it up). */
function queuedFor(client: RedisClient, ms: number): RedisClient {
  return new Proxy(client, {
    get(target, property) {
      if (property === "eval") {
        return async (...args: Parameters<RedisClient["eval"]>) => {
          await new Promise((r) => setTimeout(r, ms));
          return target.eval(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.each(redisDeployments())("RedisPresenceStore liveness on %s", (_name, open) => {
  it("counts a beat from when it reaches Redis, not from when its node sent it", async () => {
    // seen in a chaos run's Redis primary kill: two nodes' beats took 3–5 s to land, each already that old, and a
    // third node reaped their 10,008 sessions while they ran (live users read offline for 20 s)
    const client = open();
    const prefix = `pst-${randomUUID()}:`;
    const ttlMs = 1_500;
    const reaper = new RedisPresenceStore(client, prefix, ttlMs);
    const slow = new RedisPresenceStore(queuedFor(client, 2_000), prefix, ttlMs);
    const tenant = "school-a";
    await reaper.connect({ tenant, user: "ana", sessionId: "s1" }, "node-b");
    await slow.heartbeat("node-b"); // lands 2 s after it was sent
    expect(await reaper.isNodeAlive("node-b")).toBe(true);
    expect(await reaper.reapDeadNodes("node-a")).toEqual([]);
    expect(await reaper.statuses(tenant, ["ana"])).toEqual({ ana: "online" });
    // and a node whose beats stopped is still dead after the TTL
    await new Promise((r) => setTimeout(r, ttlMs + 200));
    expect(await reaper.isNodeAlive("node-b")).toBe(false);
    expect(await reaper.reapDeadNodes("node-a")).toEqual([{ tenant, user: "ana", wentOffline: true, leftRooms: [] }]);
  }, 20_000);

  it("beats on the liveness connection when given one, not behind the command connection's queue", async () => {
    const client = open();
    const prefix = `pst-${randomUUID()}:`;
    const store = new RedisPresenceStore(queuedFor(client, 3_000), prefix, 1_500, open());
    const started = Date.now();
    await store.heartbeat("node-b");
    expect(await store.isNodeAlive("node-b")).toBe(true);
    expect(await store.reapDeadNodes("node-b")).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000); // the command connection would have held each for 3 s
  }, 20_000);
});
