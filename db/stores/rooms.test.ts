import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestPglite } from "../../tests/support/pglite";
import type { DatabaseHandle } from "../database";
import { RoomStore } from "./rooms";

describe("RoomStore.getMany (PGlite)", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestPglite();
  });
  afterAll(async () => handle.close());

  it("answers the registered rooms among many names of one school in one read, other schools' not included", async () => {
    const store = new RoomStore(handle.db);
    await store.create("school-a", { room: "math", title: "Math", private: true, createdBy: "t1" });
    await store.create("school-a", { room: "art", title: "Art", private: false, createdBy: "t1" });
    await store.create("school-b", { room: "bio", title: "Bio", private: true, createdBy: "t2" });
    const found = await store.getMany("school-a", ["math", "art", "bio", "lobby", "math"]);
    expect([...found.keys()].sort()).toEqual(["art", "math"]);
    expect(found.get("math")).toMatchObject({ room: "math", private: true });
    expect((await store.getMany("school-a", [])).size).toBe(0);
  });
});
