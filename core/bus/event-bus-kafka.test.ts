import { describe, expect, it } from "vitest";
import { serviceEnv, testNamespace } from "../../tests/support/services";
import { ErrorCode } from "../errors";
import { runEventBusContract } from "./event-bus.case";
import { KafkaEventBus } from "./event-bus-kafka";

runEventBusContract("Kafka", async () =>
  new KafkaEventBus({ brokers: serviceEnv("KAFKA_BROKERS").split(","), namespace: testNamespace(), clientId: "contract", partitions: 3 }),
);

describe("KafkaEventBus", () => {
  it("refuses a publish with 5001 when no broker answers, instead of acknowledging it", async () => {
    const bus = new KafkaEventBus({ brokers: ["127.0.0.1:1"], namespace: testNamespace(), clientId: "down", publishTimeoutMs: 1_000, logLevel: "none" });
    await expect(bus.publish("t", [{ key: "k", value: "v" }])).rejects.toMatchObject({ code: ErrorCode.Unavailable, temporary: true });
    expect(await bus.ping()).toBe(false);
    await bus.close();
  }, 30_000);
});
