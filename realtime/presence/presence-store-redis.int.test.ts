import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { presenceKeys } from "../../core/tenant-keys";
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
