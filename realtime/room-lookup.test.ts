import { describe, expect, it } from "vitest";
import type { RoomView } from "../db/stores/rooms";
import { RoomLookup } from "./room-lookup";

const view = (room: string, isPrivate: boolean): RoomView => ({ room, title: room, private: isPrivate, createdBy: "t", createdAt: "2026-01-01T00:00:00.000Z" });

describe("RoomLookup", () => {
  it("shares one query among concurrent lookups, per tenant, and asks again after the TTL", async () => {
    const asked: string[] = [];
    let isPrivate = false;
    const lookup = new RoomLookup({ get: async (tenant, room) => (asked.push(`${tenant}/${room}`), view(room, isPrivate)) }, 50);
    const first = await Promise.all([lookup.get("a", "math"), lookup.get("a", "math"), lookup.get("b", "math")]);
    expect(first.map((v) => v?.private)).toEqual([false, false, false]);
    expect(asked).toEqual(["a/math", "b/math"]);
    isPrivate = true;
    expect((await lookup.get("a", "math"))?.private).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect((await lookup.get("a", "math"))?.private).toBe(true);
    expect(asked).toEqual(["a/math", "b/math", "a/math"]);
  });

  it("does not keep a failed lookup", async () => {
    let fail = true;
    const lookup = new RoomLookup({ get: async (_t, room) => (fail ? Promise.reject(new Error("db down")) : view(room, false)) });
    await expect(lookup.get("a", "x")).rejects.toThrow("db down");
    fail = false;
    expect((await lookup.get("a", "x"))?.room).toBe("x");
  });
});
