import { describe, expect, it } from "vitest";
import { batchedSeed } from "./batched-seed";

describe("batchedSeed", () => {
  it("reads a school's rooms asked within the window together, each caller its own room's value; conversations one by one", async () => {
    const reads: Array<[string, string[]]> = [];
    const conversations: string[] = [];
    const seed = batchedSeed(
      async (tenant, rooms) => {
        reads.push([tenant, rooms]);
        return new Map(rooms.map((r) => [r, Number(r.slice(1))]));
      },
      async (_tenant, conversation) => {
        conversations.push(conversation);
        return 42;
      },
    );
    // a storm's rejoins: 200 rooms of one school, a room asked twice, another school's room, a conversation
    const keys = [...Array.from({ length: 200 }, (_, i) => `sch-a:r${i}`), "sch-a:r7", "sch-b:r5", "sch-a:c:conv-1"];
    const values = await Promise.all(keys.map((k) => seed(k)));
    expect(values.slice(0, 200)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(values.slice(200)).toEqual([7, 5, 42]);
    expect(reads.map(([tenant, rooms]) => [tenant, rooms.length])).toEqual([
      ["sch-a", 200],
      ["sch-b", 1],
    ]);
    expect(conversations).toEqual(["conv-1"]);
  });

  it("a failed read fails each of its callers (their request is answered with a temporary code and retried)", async () => {
    const seed = batchedSeed(async () => Promise.reject(new Error("timeout exceeded when trying to connect")), async () => 0);
    const results = await Promise.allSettled([seed("s:r1"), seed("s:r2")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});
