import { mkdtempSync, rmSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import { streams } from "../core/contracts/streams";
import { openDatabase } from "../db/database";
import { startKafkaCluster, type KafkaClusterInstance } from "../tools/services/kafka-cluster";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";
import { freePort } from "../tools/services/process";
import { TEST_SECRET } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";


/**
 * A 3-broker KRaft cluster of its own (3 voters), topics at replication factor 3 with min.insync.replicas
 * 2, the bus's idempotent acks=all producer, and a worker process writing room messages to PostgreSQL.
 * The broker-kill scenario is tests/kafka-broker-kill.chaos.test.ts (`npm run test:chaos`): it still loses
 * acked records in some runs (issue "Survive the loss of any one part"), so it does not gate `npm test`.
 */
describe("Kafka with replication: 3 brokers of their own, a worker process, PostgreSQL", () => {
  const dir = mkdtempSync(join(tmpdir(), "interlinked-kafka-rf3-"));
  const namespace = testNamespace();
  let kafka: KafkaClusterInstance;
  let databaseUrl: string;
  let worker: ChildInterlinked | undefined;
  let bus: KafkaEventBus;
  const replication = { KAFKA_REPLICATION_FACTOR: "3", KAFKA_MIN_INSYNC_REPLICAS: "2" };

  beforeAll(async () => {
    [kafka, databaseUrl] = await Promise.all([startKafkaCluster(serviceEnv("JAVA_BIN"), serviceEnv("KAFKA_LIB_DIR"), dir, dir), createTestDatabase()]);
    const db = await openDatabase({ url: databaseUrl });
    await db.migrate();
    await db.close();
    const port = await freePort();
    worker = spawnInterlinked({
      ROLES: "workers",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafka.brokers,
      REDIS_URL: serviceEnv("REDIS_URL"),
      NAMESPACE: namespace,
      AUTH_SECRET: TEST_SECRET,
      NODE_ID: "rf3-worker",
      ...replication,
    });
    await waitReady(`http://127.0.0.1:${port}`, 90_000).catch((err: unknown) => {
      throw new Error(`the worker did not start: ${worker?.output().slice(-3000)}`, { cause: err });
    });
    bus = new KafkaEventBus({ brokers: kafka.brokers.split(","), namespace, clientId: "rf3-producer", replicationFactor: 3, minInsyncReplicas: 2, publishTimeoutMs: 60_000 });
  }, 240_000);

  afterAll(async () => {
    await worker?.stop("SIGTERM");
    await bus?.close();
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates topics at replication factor 3 with min.insync.replicas 2", async () => {
    await bus.ensureTopic(streams.roomMessages.topic);
    const admin = new Kafka({ brokers: kafka.brokers.split(","), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const name = bus.topicName(streams.roomMessages.topic);
      const meta = await admin.fetchTopicMetadata({ topics: [name] });
      expect(meta.topics[0]?.partitions.map((p) => p.replicas.length)).toEqual(Array(6).fill(3));
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name, configNames: ["min.insync.replicas"] }], includeSynonyms: false });
      expect(configs.resources[0]?.configEntries.find((e) => e.configName === "min.insync.replicas")?.configValue).toBe("2");
    } finally {
      await admin.disconnect();
    }
  });

});
