import { describe, expect, it } from "vitest";
import { BatchingPublisher } from "./batching-publisher";
import { MemoryEventBus } from "./event-bus-memory";

describe("BatchingPublisher", () => {
  it("sends records added within the linger time as one publish, in order", async () => {
    const bus = new MemoryEventBus();
    const batches: string[][] = [];
    await bus.subscribe({ group: "g", topic: "t", handler: async (records) => void batches.push(records.map((r) => r.value)) });
    const publisher = new BatchingPublisher(bus, "t", 20);
    await Promise.all(["a", "b", "c"].map((value) => publisher.add({ key: "k", value })));
    await publisher.add({ key: "k", value: "d" });
    expect(batches).toEqual([["a", "b", "c"], ["d"]]);
  });

  it("rejects every record of a publish that failed", async () => {
    const bus = new MemoryEventBus();
    await bus.subscribe({ group: "g", topic: "t", handler: async () => Promise.reject(new Error("down")) });
    const publisher = new BatchingPublisher(bus, "t", 5);
    const results = await Promise.allSettled([publisher.add({ key: "k", value: "1" }), publisher.add({ key: "k", value: "2" })]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("with pack, sends the records of one key in a flush as one packed record, and resolves each add", async () => {
    const bus = new MemoryEventBus();
    const batches: string[][] = [];
    await bus.subscribe({ group: "g", topic: "t", handler: async (records) => void batches.push(records.map((r) => `${r.key}=${r.value}`)) });
    const publisher = new BatchingPublisher(bus, "t", 20, 1_000, { pack: true });
    const adds = [["k", "{\"n\":1}"], ["j", "{\"n\":2}"], ["k", "{\"n\":3}"]].map(([key, value]) => publisher.add({ key: key as string, value: value as string }));
    expect((await Promise.allSettled(adds)).map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(batches).toEqual([['k=[{"n":1},{"n":3}]', 'j={"n":2}']]);
  });

  it("without pack, never merges records", async () => {
    const bus = new MemoryEventBus();
    const batches: string[][] = [];
    await bus.subscribe({ group: "g", topic: "t", handler: async (records) => void batches.push(records.map((r) => r.value)) });
    const publisher = new BatchingPublisher(bus, "t", 20, 1_000);
    await Promise.all(["{}", "{}"].map((value) => publisher.add({ key: "k", value })));
    expect(batches).toEqual([["{}", "{}"]]);
  });
});
