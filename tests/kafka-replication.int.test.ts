import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streams } from "../core/contracts/streams";
import { describeReplication, startReplicatedKafka, type ReplicatedKafka } from "./support/kafka-replicated";

/**
 * A 3-broker KRaft cluster of its own (3 voters), topics at replication factor 3 with min.insync.replicas
 * 2, the bus's idempotent acks=all producer, and a worker process writing room messages to PostgreSQL.
 * The broker-kill scenario is tests/kafka-broker-kill.chaos.test.ts (`npm run test:chaos`, minutes long).
 */
describe("Kafka with replication: 3 brokers of their own, a worker process, PostgreSQL", () => {
  let cluster: ReplicatedKafka | undefined;

  beforeAll(async () => {
    cluster = await startReplicatedKafka("rf3-worker");
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("creates topics at replication factor 3 with min.insync.replicas 2", async () => {
    const { kafka, bus } = cluster as ReplicatedKafka;
    await bus.ensureTopic(streams.roomMessages.topic);
    const replication = await describeReplication(kafka.brokers, bus.topicName(streams.roomMessages.topic));
    expect(replication.replicas).toEqual(Array(6).fill(3));
    expect(replication.minInsyncReplicas).toBe("2");
  });
});
