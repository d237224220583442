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

describe("RoomLookup with a store that reads many rooms at once", () => {
  it("reads the rooms of one school asked within the window in one query (a reconnect storm's rejoins of many rooms)", async () => {
    const queries: string[][] = [];
    const lookup = new RoomLookup({
      get: async () => expect.fail("one room at a time"),
      getMany: async (tenant, names) => {
        queries.push([tenant, ...names]);
        return new Map(names.filter((n) => n.startsWith("p")).map((n) => [n, view(n, true)]));
      },
    });
    const rooms = Array.from({ length: 400 }, (_, i) => (i % 10 === 0 ? `p${i}` : `r${i}`));
    const views = await Promise.all([...rooms.map((r) => lookup.get("a", r)), lookup.get("b", "r1")]);
    expect(views.filter((v) => v?.private === true)).toHaveLength(40);
    expect(views.filter((v) => v === undefined)).toHaveLength(361); // implicit public rooms
    expect(queries.map((q) => q[0])).toEqual(["a", "b"]);
    expect(queries[0]).toHaveLength(401);
  });
});
