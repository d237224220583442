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

  it("answers a member from the last list it read while the database fails, and anyone else with the failure", async () => {
    let down = false;
    const asked: string[] = [];
    const fail = (): Promise<never> => Promise.reject(Object.assign(new Error("database unavailable"), { code: 5001 }));
    const lookup = new ConversationLookup(
      {
        get: async (t, id) => (asked.push(`get ${t}/${id}`), down ? fail() : view(id, ["ann", "bob"])),
        getForMember: async (_t, id, user) => (asked.push(`member ${id}/${user}`), down ? fail() : user === "cy" ? view(id, ["ann", "bob", "cy"]) : undefined),
      },
      1,
    );
    expect(await lookup.membersFor("t", "c1", "ann")).toEqual(["ann", "bob"]);
    expect(await lookup.membersFor("t", "c1", "cy")).toEqual(["ann", "bob", "cy"]); // cy was added: its fresh list is the latest read
    down = true;
    await new Promise((r) => setTimeout(r, 5)); // past the shared copy's ttl: the next lookups read (and fail)
    asked.length = 0;
    expect(await lookup.membersFor("t", "c1", "bob")).toEqual(["ann", "bob", "cy"]);
    expect(await lookup.membersFor("t", "c1", "cy")).toEqual(["ann", "bob", "cy"]);
    await expect(lookup.membersFor("t", "c1", "eve")).rejects.toThrow("database unavailable"); // not vouched for: closed
    await expect(lookup.membersFor("u", "c1", "ann")).rejects.toThrow("database unavailable"); // another tenant's c1 was never read
    await expect(lookup.membersFor("t", "c2", "ann")).rejects.toThrow("database unavailable");
    expect(asked.filter((a) => a === "get t/c1")).toHaveLength(3); // each asked the store first; none was answered from a cache alone
    down = false;
    expect(await lookup.membersFor("t", "c1", "eve")).toBeUndefined(); // not a member once the store answers
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
