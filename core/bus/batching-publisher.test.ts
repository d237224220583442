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
});
