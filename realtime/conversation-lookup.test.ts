import { describe, expect, it } from "vitest";
import type { ConversationView } from "../db/stores/conversations";
import { ConversationLookup } from "./conversation-lookup";

const view = (id: string, members: string[]): ConversationView => ({ id, kind: "group", title: id, members, createdBy: members[0] ?? "x", createdAt: "2026-01-01T00:00:00.000Z" });

describe("ConversationLookup (a conversation's members, shared per node)", () => {
  it("shares one query among the conversation's members reconnecting at once, per tenant; a user not in the shared copy is asked afresh", async () => {
    const asked: string[] = [];
    let members = ["ann", "bob", "cy"];
    const lookup = new ConversationLookup(
      {
        get: async (tenant, id) => (asked.push(`get ${tenant}/${id}`), view(id, members)),
        getForMember: async (tenant, id, user) => (asked.push(`member ${tenant}/${id}/${user}`), members.includes(user) ? view(id, members) : undefined),
      },
      1_000,
    );
    const answers = await Promise.all(["ann", "bob", "cy"].map((u) => lookup.membersFor("t", "c1", u)));
    expect(answers).toEqual([members, members, members]);
    expect(asked).toEqual(["get t/c1"]);
    // dan was added after the shared copy was read: not refused
    members = [...members, "dan"];
    expect(await lookup.membersFor("t", "c1", "dan")).toEqual(members);
    expect(await lookup.membersFor("t", "c1", "eve")).toBeUndefined();
    expect(await lookup.membersFor("u", "c1", "ann")).toEqual(members); // another tenant: its own query
    expect(asked).toEqual(["get t/c1", "member t/c1/dan", "member t/c1/eve", "get u/c1"]);
  });

  it("reads the conversations of one school asked within the window in one getMany (per school); a user not in one is asked afresh", async () => {
    const asked: string[] = [];
    const lookup = new ConversationLookup({
      get: async (tenant, id) => (asked.push(`get ${tenant}/${id}`), view(id, ["ann"])),
      getForMember: async (tenant, id, user) => (asked.push(`member ${tenant}/${id}/${user}`), undefined),
      getMany: async (tenant, ids) => (asked.push(`many ${tenant}/${ids.join(",")}`), new Map(ids.filter((id) => id !== "gone").map((id) => [id, view(id, ["ann", id])]))),
    });
    const answers = await Promise.all([
      lookup.membersFor("t", "c1", "ann"),
      lookup.membersFor("t", "c2", "c2"),
      lookup.membersFor("t", "gone", "ann"),
      lookup.membersFor("u", "c1", "ann"),
      lookup.membersFor("t", "c3", "bob"),
    ]);
    expect(answers).toEqual([["ann", "c1"], ["ann", "c2"], undefined, ["ann", "c1"], undefined]);
    expect(asked.filter((a) => a.startsWith("many")).sort()).toEqual(["many t/c1,c2,gone,c3", "many u/c1"]);
    expect(asked.filter((a) => !a.startsWith("many")).sort()).toEqual(["member t/c3/bob", "member t/gone/ann"]);
  });

  it("does not keep a failed lookup", async () => {
    let fail = true;
    const lookup = new ConversationLookup({
      get: async (_t, id) => (fail ? Promise.reject(new Error("db down")) : view(id, ["ann"])),
      getForMember: async () => undefined,
    });
    await expect(lookup.membersFor("t", "c", "ann")).rejects.toThrow("db down");
    fail = false;
    expect(await lookup.membersFor("t", "c", "ann")).toEqual(["ann"]);
  });
});
