import { describe, expect, it } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { applyContract, inTier } from "../../tests/support/tiers";
import { ErrorCode } from "../errors";
import type { EventBus } from "./event-bus";
import { runEventBusContract } from "./event-bus.case";
import { KafkaEventBus } from "./event-bus-kafka";
import { MemoryEventBus } from "./event-bus-memory";

applyContract<() => Promise<EventBus>>(runEventBusContract, [
  { name: "memory", tier: "unit", open: async () => new MemoryEventBus() },
  {
    name: "Kafka",
    tier: "integration",
    open: async () => new KafkaEventBus({ brokers: serviceEnv("KAFKA_BROKERS").split(","), namespace: testNamespace(), clientId: "contract", partitions: 3 }),
  },
]);

inTier("unit", () => {
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
});

// needs no broker (a closed loopback port), but waits out kafkajs's connection retries: with the Kafka backend
inTier("integration", () => {
  describe("KafkaEventBus", () => {
    it("refuses a publish with 5001 when no broker answers, instead of acknowledging it", async () => {
      const bus = new KafkaEventBus({ brokers: ["127.0.0.1:1"], namespace: testNamespace(), clientId: "down", publishTimeoutMs: 1_000, logLevel: "none" });
      await expect(bus.publish("t", [{ key: "k", value: "v" }])).rejects.toMatchObject({ code: ErrorCode.Unavailable, temporary: true });
      expect(await bus.ping()).toBe(false);
      await bus.close();
    }, 30_000);
  });
});
