import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestPglite } from "../../tests/support/pglite";
import type { DatabaseHandle } from "../database";
import { notifications } from "../schema";
import { withTenant } from "../tenant-scope";
import { NotificationStore } from "./notifications";

describe("NotificationStore.backlogs (PGlite; PostgreSQL through tests/realtime-features/notifications.case.ts)", () => {
  let handle: DatabaseHandle;
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const row = (tenant: string, user: string, i: number, read = false) => ({
    tenantId: tenant, id: randomUUID(), userId: user, title: `${user}-${i}`, body: "b", createdAt: new Date(t0 + i * 1000), readAt: read ? new Date() : null,
  });
  beforeAll(async () => {
    handle = await openTestPglite();
    await withTenant(handle.db, "a", (tx) => tx.insert(notifications).values([...Array.from({ length: 60 }, (_, i) => row("a", "x", i)), row("a", "x", 100, true), row("a", "y", 1)]));
    await withTenant(handle.db, "b", (tx) => tx.insert(notifications).values([row("b", "x", 1)]));
  });
  afterAll(async () => handle.close());

  it("gives each user the newest `limit` unread and the unread count, within the tenant, in one call", async () => {
    const store = new NotificationStore(handle.db);
    const got = await store.backlogs("a", ["x", "y", "z"], 50);
    expect(got.get("x")!.unread).toBe(60);
    expect(got.get("x")!.items.map((n) => n.title)).toEqual(Array.from({ length: 50 }, (_, k) => `x-${59 - k}`));
    expect(got.get("x")!.items[0]).toMatchObject({ createdAt: new Date(t0 + 59_000).toISOString(), readAt: null, feed: null, data: null });
    expect(got.get("y")).toMatchObject({ unread: 1, items: [{ title: "y-1" }] });
    expect(got.get("z")).toEqual({ items: [], unread: 0 });
    // the same as the per-user list
    const single = await store.list("a", "x", { unreadOnly: true, limit: 50 });
    expect(single).toEqual(got.get("x"));
    expect((await store.backlogs("b", ["x"], 50)).get("x")).toMatchObject({ unread: 1, items: [{ title: "x-1" }] });
  });

  it("finds users whose ids hold commas, quotes, braces, backslashes and non-ASCII letters, and only them", async () => {
    const odd = ['c,d', 'q"x', "{br}", "back\\slash", "ümlaut", "x y"];
    await withTenant(handle.db, "c", (tx) => tx.insert(notifications).values(odd.map((u, i) => row("c", u, i))));
    const got = await new NotificationStore(handle.db).backlogs("c", [...odd, "c", "d"], 50);
    for (const [i, u] of odd.entries()) expect(got.get(u)).toMatchObject({ unread: 1, items: [{ title: `${u}-${i}` }] });
    expect(got.get("c")).toEqual({ items: [], unread: 0 });
    expect(got.get("d")).toEqual({ items: [], unread: 0 });
  });
});
