import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { KafkaEventBus } from "../../core/bus/event-bus-kafka";
import { openDatabase } from "../../db/database";
import { startKafkaCluster, type KafkaClusterInstance } from "../../tools/services/kafka-cluster";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../../tools/services/interlinked-child";
import { freePort } from "../../tools/services/process";
import { TEST_SECRET } from "./nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./services";

/**
 * A 3-broker KRaft cluster of its own (3 voters), a migrated PostgreSQL database of its own, a worker
 * process (ROLES=workers) persisting the streams from that cluster into that database, and the test's own
 * bus on the cluster: topics at replication factor 3 with min.insync.replicas 2, the idempotent acks=all
 * producer.
 */
export interface ReplicatedKafka {
  kafka: KafkaClusterInstance;
  databaseUrl: string;
  namespace: string;
  worker: ChildInterlinked;
  bus: KafkaEventBus;
  /** The cluster's directory: brokers' data and logs (`kafka-<id>.log`). */
  dir: string;
  /** Stops the worker, the bus and the brokers; the cluster's directory (logs and data) is copied to `keepLogsIn` first when given. */
  stop(keepLogsIn?: string): Promise<void>;
}

/** Starts the cluster, the database and the worker (about 30-60 s on a shared 2-core machine). */
export async function startReplicatedKafka(nodeId: string): Promise<ReplicatedKafka> {
  const dir = mkdtempSync(join(tmpdir(), "interlinked-kafka-rf3-"));
  const namespace = testNamespace();
  const [kafka, databaseUrl] = await Promise.all([startKafkaCluster(serviceEnv("JAVA_BIN"), serviceEnv("KAFKA_LIB_DIR"), dir, dir), createTestDatabase()]);
  let worker: ChildInterlinked | undefined;
  try {
    const db = await openDatabase({ url: databaseUrl });
    await db.migrate();
    await db.close();
    const port = await freePort();
    const started = spawnInterlinked({
      ROLES: "workers",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafka.brokers,
      REDIS_URL: serviceEnv("REDIS_URL"),
      NAMESPACE: namespace,
      AUTH_SECRET: TEST_SECRET,
      NODE_ID: nodeId,
      KAFKA_REPLICATION_FACTOR: "3",
      KAFKA_MIN_INSYNC_REPLICAS: "2",
    });
    worker = started;
    await waitReady(`http://127.0.0.1:${port}`, 90_000).catch((err: unknown) => {
      throw new Error(`the worker did not start: ${started.output().slice(-3000)}`, { cause: err });
    });
  } catch (err) {
    await worker?.stop("SIGKILL");
    await kafka.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const bus = new KafkaEventBus({ brokers: kafka.brokers.split(","), namespace, clientId: `${nodeId}-producer`, replicationFactor: 3, minInsyncReplicas: 2, publishTimeoutMs: 60_000 });
  const worked = worker;
  return {
    kafka,
    databaseUrl,
    namespace,
    worker: worked,
    bus,
    dir,
    async stop(keepLogsIn) {
      await worked.stop("SIGTERM");
      await bus.close();
      await kafka.stop();
      if (keepLogsIn) cpSync(dir, keepLogsIn, { recursive: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How a topic is replicated, as the brokers describe it. */
export interface TopicReplication {
  /** Replicas of each partition, by partition. */
  replicas: number[];
  minInsyncReplicas: string | undefined;
  uncleanLeaderElection: string | undefined;
}

export async function describeReplication(brokers: string, topic: string): Promise<TopicReplication> {
  const admin = new Kafka({ brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = [...(meta.topics[0]?.partitions ?? [])].sort((a, b) => a.partitionId - b.partitionId);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ["min.insync.replicas", "unclean.leader.election.enable"] }], includeSynonyms: false });
    const entry = (name: string) => configs.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
    return { replicas: partitions.map((p) => p.replicas.length), minInsyncReplicas: entry("min.insync.replicas"), uncleanLeaderElection: entry("unclean.leader.election.enable") };
  } finally {
    await admin.disconnect();
  }
}

/** What a topic holds: every record's event id with how many times it is there. */
export interface TopicContents {
  ids: Map<string, number>;
  records: number;
  /** Whether every partition was read up to the high watermark taken before reading. */
  complete: boolean;
}

/**
 * Reads a whole topic, from each partition's earliest offset up to its high watermark (taken first), in a
 * consumer group of its own (the bus's topics are not transactional: the last record of a partition is at
 * its high watermark − 1), and counts each record's `id` (the event id of a stream record). Unlike a
 * count of distinct ids, "complete" says that every partition was read to its end, so an id absent from
 * the result is absent from the topic.
 */
export async function readTopic(brokers: string, topic: string, timeoutMs = 60_000): Promise<TopicContents> {
  const kafka = new Kafka({ brokers: brokers.split(","), clientId: "topic-audit", logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(p.partition, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  const next = new Map<number, bigint>([...ends.keys()].map((p) => [p, 0n]));
  const ids = new Map<string, number>();
  let records = 0;
  const done = (): boolean => [...ends].every(([p, high]) => (next.get(p) ?? 0n) >= high);
  if (done()) return { ids, records, complete: true };
  const consumer = kafka.consumer({ groupId: `audit-${Date.now()}-${Math.random().toString(36).slice(2)}`, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  let finished!: () => void;
  const finishedP = new Promise<void>((resolve) => (finished = resolve));
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= (ends.get(batch.partition) ?? 0n)) continue;
          records++;
          const id = (JSON.parse(m.value?.toString("utf8") ?? "{}") as { id?: string }).id ?? "";
          ids.set(id, (ids.get(id) ?? 0) + 1);
          next.set(batch.partition, offset + 1n);
        }
        if (done()) finished();
      },
    });
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([finishedP, timer]);
  } finally {
    await consumer.disconnect();
  }
  return { ids, records, complete: done() };
}

/** Resolves once every partition of `topic` has all its replicas in sync again (after a broker came back). */
export async function waitInSync(brokers: string, topic: string, timeoutMs = 120_000): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      const partitions = meta?.topics[0]?.partitions ?? [];
      if (partitions.length > 0 && partitions.every((p) => p.isr.length === p.replicas.length)) return;
      if (Date.now() > deadline) throw new Error(`${topic}: replicas not back in sync after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.disconnect();
  }
}
