import { describe, expect, it } from "vitest";
import { ErrorCode } from "../errors";
import { runEventBusContract } from "./event-bus.case";
import { MemoryEventBus } from "./event-bus-memory";

runEventBusContract("memory", async () => new MemoryEventBus());

describe("MemoryEventBus", () => {
  it("rejects a publish with 5001 when a subscriber fails, and keeps serving", async () => {
    const bus = new MemoryEventBus();
    let fail = true;
    await bus.subscribe({
      group: "g",
      topic: "t",
      handler: async () => {
        if (fail) throw new Error("db down");
      },
    });
    await expect(bus.publish("t", [{ key: "k", value: "v" }])).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    fail = false;
    await expect(bus.publish("t", [{ key: "k", value: "v" }])).resolves.toBeUndefined();
    await bus.close();
  });

  it("refuses publishes past its backlog bound when nobody consumes", async () => {
    const bus = new MemoryEventBus({ maxBacklog: 2 });
    await bus.publish("t", [{ key: "k", value: "1" }, { key: "k", value: "2" }]);
    await expect(bus.publish("t", [{ key: "k", value: "3" }])).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });
});
