import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestPglite } from "../../tests/support/pglite";
import type { DatabaseHandle } from "../database";
import { ConversationStore } from "./conversations";

describe("ConversationStore.getMany (PGlite)", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestPglite();
  });
  afterAll(async () => handle.close());

  it("answers many conversations of one school with their members in one read; others' schools, unknown and non-UUID ids absent", async () => {
    const store = new ConversationStore(handle.db);
    const { conversation: direct } = await store.create("school-a", { kind: "direct", members: ["bob"], createdBy: "ann" });
    const { conversation: group } = await store.create("school-a", { kind: "group", title: "Lab", members: ["cy", "bob"], createdBy: "ann" });
    const { conversation: elsewhere } = await store.create("school-b", { kind: "direct", members: ["dan"], createdBy: "eve" });
    const unknown = "00000000-0000-4000-8000-000000000000";
    const found = await store.getMany("school-a", [direct.id, group.id, elsewhere.id, unknown, "not-a-uuid", direct.id]);
    expect([...found.keys()].sort()).toEqual([direct.id, group.id].sort());
    expect(found.get(direct.id)).toEqual(await store.get("school-a", direct.id));
    expect(found.get(group.id)).toMatchObject({ kind: "group", title: "Lab", members: ["ann", "bob", "cy"] });
    expect((await store.getMany("school-a", [])).size).toBe(0);
    expect((await store.getMany("school-a", ["not-a-uuid"])).size).toBe(0);
  });
});
