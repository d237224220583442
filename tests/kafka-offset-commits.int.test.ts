import { afterEach, describe, expect, it } from "vitest";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { serviceEnv, testNamespace } from "./support/services";

/**
 * A subscription commits its handled offsets on an interval, not after each batch (core/bus/offset-committer.ts):
 * at low rates every batch was one record, and every commit an acks=all write to `__consumer_offsets`.
 * Before, kafkajs committed after each batch, so the lag read 0 right after the records were handled.
 */
describe("a Kafka subscription's offset commits", () => {
  const open: KafkaEventBus[] = [];
  const bus = (commitIntervalMs: number): KafkaEventBus => {
    const b = new KafkaEventBus({ brokers: serviceEnv("KAFKA_BROKERS").split(","), namespace: testNamespace(), clientId: "commits", partitions: 2, commitIntervalMs, consumerMaxWaitMs: 500, logLevel: "none" });
    open.push(b);
    return b;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("are held until the interval, and a closing subscription commits what it handled", async () => {
    const b = bus(60_000);
    const seen: string[] = [];
    const sub = await b.subscribe({ group: "g", topic: "t", handler: async (records) => void seen.push(...records.map((r) => r.value)) });
    for (let i = 0; i < 6; i++) await b.publish("t", [{ key: `k${i}`, value: String(i) }]);
    await until("every record handled", () => seen.length === 6);
    await new Promise((r) => setTimeout(r, 1_000)); // room for a per-batch commit to land
    expect(await b.consumerLag("g", "t")).toBe(6);
    await sub.close();
    expect(await b.consumerLag("g", "t")).toBe(0);

    // the group resumes after what it committed: nothing is delivered twice
    const again: string[] = [];
    const resumed = await b.subscribe({ group: "g", topic: "t", handler: async (records) => void again.push(...records.map((r) => r.value)) });
    await b.publish("t", [{ key: "k0", value: "after" }]);
    await until("the new record handled", () => again.length > 0);
    expect(again).toEqual(["after"]);
    await resumed.close();
  }, 60_000);

  it("land within the interval while the subscription keeps running", async () => {
    const b = bus(300);
    let handled = 0;
    await b.subscribe({ group: "g", topic: "t", handler: async (records) => void (handled += records.length) });
    for (let i = 0; i < 4; i++) await b.publish("t", [{ key: `k${i}`, value: String(i) }]);
    await until("every record handled", () => handled === 4);
    await until("the offsets committed", async () => (await b.consumerLag("g", "t")) === 0, 5_000);
  }, 60_000);

  it("after each batch when the interval is 0 (kafkajs's own commits)", async () => {
    const b = bus(0);
    let handled = 0;
    await b.subscribe({ group: "g", topic: "t", handler: async (records) => void (handled += records.length) });
    await b.publish("t", [{ key: "k", value: "1" }]);
    await until("the record handled", () => handled === 1);
    await until("its offset committed", async () => (await b.consumerLag("g", "t")) === 0, 5_000);
  }, 60_000);
});
