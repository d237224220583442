import { describe, expect, it } from "vitest";
import { MemoryEventBus } from "../core/bus/event-bus-memory";
import { createLogger } from "../core/log";
import { prepareBus } from "./prepare-bus";

const log = createLogger({ nodeId: "prepare-bus-test", level: "silent" });

describe("prepareBus (a starting node readies its topics, and never waits on them forever)", () => {
  it("resolves true once the bus has prepared the topics", async () => {
    const asked: string[][] = [];
    const bus = Object.assign(new MemoryEventBus(), { prepare: async (topics: string[]) => void asked.push(topics) });
    expect(await prepareBus(bus, ["room-messages", "chat"], log)).toBe(true);
    expect(asked).toEqual([["room-messages", "chat"]]);
  });

  it("resolves false, without throwing, when the bus refuses", async () => {
    const bus = Object.assign(new MemoryEventBus(), { prepare: () => Promise.reject(new Error("no brokers")) });
    expect(await prepareBus(bus, ["chat"], log)).toBe(false);
  });

  it("resolves false after the wait when the bus does not answer", async () => {
    const bus = Object.assign(new MemoryEventBus(), { prepare: () => new Promise<void>(() => undefined) });
    expect(await prepareBus(bus, ["chat"], log, 20)).toBe(false);
  });
});
