import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { startInterlinked, type RunningInterlinked } from "../app/interlinked";
import { streams } from "../core/contracts/streams";
import { openDatabase } from "../db/database";
import { testConfig } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";

/**
 * A realtime node readies its Kafka topics before it serves (app/prepare-bus.ts). Before, each topic was
 * created (or its metadata fetched) and its producers connected by the first publish to it: the first room
 * message of a fresh node was acked after ~180 ms, the next ones after 6–9 ms (bench:fanout's p99 at 20
 * msgs/s was that one message: 136 ms against stock's 13 ms).
 */
describe("a realtime node on Kafka prepares its topics before it serves", () => {
  let node: RunningInterlinked | undefined;
  afterAll(async () => {
    await node?.close();
  });

  it("every stream's topic exists once the node has started, before anything was published", async () => {
    const databaseUrl = await createTestDatabase();
    const migrator = await openDatabase({ url: databaseUrl });
    await migrator.migrate();
    await migrator.close();
    const namespace = testNamespace();
    const brokers = serviceEnv("KAFKA_BROKERS").split(",");
    node = await startInterlinked(testConfig({ databaseUrl, redisUrl: serviceEnv("REDIS_URL"), kafkaBrokers: brokers, namespace, nodeId: "prepare-bus", roles: new Set(["realtime"]) }));
    const admin = new Kafka({ clientId: "prepare-bus-test", brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = new Set(await admin.listTopics());
      const expected = Object.values(streams).map((s) => `${namespace}.${s.topic}`);
      expect(expected.filter((t) => !topics.has(t))).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});
