import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import type { RoomMessageCreated } from "../core/contracts/events";
import { newEvent, publishEvents, streams } from "../core/contracts/streams";
import { openDatabase } from "../db/database";
import { startKafkaCluster, type KafkaClusterInstance } from "../tools/services/kafka-cluster";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";
import { freePort } from "../tools/services/process";
import { eventually } from "./support/clients";
import { TEST_SECRET } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";

const TOTAL = 8_000;
const ROOMS = 20;
const BATCH = 200;
/** Batches in flight at once: the stream runs at a few thousand records a second. */
const CONCURRENCY = 16;
const TENANT = "school-k";

/**
 * A 3-broker KRaft cluster of its own (3 voters), topics at replication factor 3 with min.insync.replicas
 * 2, the bus's idempotent acks=all producer, and a worker process writing room messages to PostgreSQL.
 * One broker is killed with SIGKILL mid-stream: every acked message is stored, none twice.
 * Not in `npm test`: run it with `npm run test:chaos`. It is an open finding — per-partition sends cut the
 * loss (60/8,000 and 694/15,000 before, 0/8,000 in the runs that followed) but a run on 2026-11-29 still
 * lost 30 of 8,000 acked records (absent from the topic too).
 */
describe("Kafka with replication (chaos, not in npm test): a broker killed mid-stream (3 brokers of its own, worker process, PostgreSQL)", () => {
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

  it("stores every acked message once when a broker dies mid-stream", async () => {
    const seqs = new Map<number, number>();
    const events: RoomMessageCreated[] = Array.from({ length: TOTAL }, (_, i) => {
      const room = i % ROOMS;
      const seq = (seqs.get(room) ?? 0) + 1;
      seqs.set(room, seq);
      return newEvent("room.message.created", TENANT, { room: `room-${room}`, seq, user: "u", text: `message ${i}` });
    });
    const acked: string[] = [];
    const refused: string[] = [];
    let killedAt = 0;
    let next = 0;
    const started = performance.now();
    const lane = async (): Promise<void> => {
      while (next < TOTAL) {
        const batch = events.slice(next, next + BATCH);
        next += BATCH;
        if (!killedAt && acked.length >= TOTAL / 4) {
          killedAt = Date.now();
          await kafka.kill(2);
        }
        try {
          await publishEvents(bus, "roomMessages", batch);
          acked.push(...batch.map((e) => e.id));
        } catch (err) {
          const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
          refused.push(`${batch.length}: ${err instanceof Error ? err.message : String(err)}${cause}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const seconds = (performance.now() - started) / 1000;
    console.log(`kafka rf3: ${acked.length} acked in ${seconds.toFixed(1)} s (${Math.round(acked.length / seconds)}/s), broker 2 killed at ${TOTAL / 4}+ acked, ${refused.length} batches refused ${refused.slice(0, 2).join("; ")}`);
    expect(killedAt).toBeGreaterThan(0);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const storedIds = async (): Promise<Set<string>> => new Set((await client.query("select id from room_messages where tenant_id = $1", [TENANT])).rows.map((r: { id: string }) => r.id));
      // rows of refused batches may land too (Kafka may have taken them): wait for the acked ones themselves
      const stored = await eventually(storedIds, (ids) => acked.every((id) => ids.has(id)), 60_000).catch(() => storedIds());
      const stats = (await client.query("select count(*) as n, count(distinct id) as ids from room_messages where tenant_id = $1", [TENANT])).rows[0];
      const lost = acked.filter((id) => !stored.has(id));
      console.log(`kafka rf3: ${stored.size} rows, ${lost.length} acked lost, ${Number(stats.n) - Number(stats.ids)} duplicate rows`);
      if (lost.length > 0) {
        // where they went: read the topic from its start in a group of its own
        const inTopic = new Set<string>();
        const audit = await bus.subscribe({
          group: "audit",
          topic: streams.roomMessages.topic,
          handler: async (records) => records.forEach((r) => inTopic.add((JSON.parse(r.value) as { id: string }).id)),
        });
        await eventually(async () => inTopic.size, (n) => n >= acked.length, 30_000).catch(() => undefined);
        await audit.close();
        const errors = (worker?.output() ?? "").split("\n").filter((l) => l.includes('"level":"error"') || l.includes('"level":"warn"'));
        console.log(`kafka rf3: ${lost.filter((id) => !inTopic.has(id)).length} of the missing rows are not in the topic either (${inTopic.size} records read); worker: ${errors.length} warnings/errors, last: ${errors.slice(-3).join(" | ").slice(0, 1500)}`);
      }
      expect(lost).toEqual([]);
      expect(Number(stats.n)).toBe(Number(stats.ids));
    } finally {
      await client.end();
    }
  }, 240_000);
});
