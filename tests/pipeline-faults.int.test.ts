import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BusRecord } from "../core/bus/event-bus";
import { KafkaEventBus } from "../core/bus/event-bus-kafka";
import type { RoomMessageCreated } from "../core/contracts/events";
import { DEAD_LETTER_TOPIC, newEvent, publishEvents, streams, type DeadLetter } from "../core/contracts/streams";
import { openDatabase } from "../db/database";
import { startKafka, type KafkaInstance } from "../tools/services/kafka";
import { freePort } from "../tools/services/process";
import { eventually } from "./support/clients";
import { TEST_SECRET } from "./support/nodes";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";

const TOTAL = 10_000;
const ROOMS = 20;
const BATCH = 100;

/**
 * 10,000 room messages through Kafka → worker process → PostgreSQL while the worker is killed (-9) and
 * restarted and the broker is restarted, plus poison records in the middle of one room's partition.
 */
describe("pipeline under faults (real Kafka broker of its own, worker process, PostgreSQL)", () => {
  const dir = mkdtempSync(join(tmpdir(), "interlinked-faults-"));
  let kafka: KafkaInstance;
  let databaseUrl: string;
  let bus: KafkaEventBus;
  let worker: ChildInterlinked | undefined;
  let workerPort: number;
  const namespace = testNamespace();

  const startWorker = async (): Promise<ChildInterlinked> => {
    const child = spawnInterlinked({
      ROLES: "workers",
      PORT: String(workerPort),
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafka.brokers,
      REDIS_URL: serviceEnv("REDIS_URL"),
      NAMESPACE: namespace,
      AUTH_SECRET: TEST_SECRET,
      NODE_ID: "fault-worker",
    });
    await waitReady(`http://127.0.0.1:${workerPort}`, 60_000);
    return child;
  };

  beforeAll(async () => {
    kafka = await startKafka(serviceEnv("JAVA_BIN"), serviceEnv("KAFKA_LIB_DIR"), dir, dir);
    databaseUrl = await createTestDatabase();
    const db = await openDatabase({ url: databaseUrl });
    await db.migrate();
    await db.close();
    workerPort = await freePort();
    bus = new KafkaEventBus({ brokers: [kafka.brokers], namespace, clientId: "fault-producer", partitions: 6, publishTimeoutMs: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop("SIGKILL");
    await bus?.close();
    await kafka?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores every message exactly once and in order per room, and dead-letters poison without blocking", async () => {
    worker = await startWorker();
    const seqs = new Map<number, number>();
    const events: RoomMessageCreated[] = Array.from({ length: TOTAL }, (_, i) => {
      const room = i % ROOMS;
      const seq = (seqs.get(room) ?? 0) + 1;
      seqs.set(room, seq);
      return newEvent("room.message.created", "school-f", { room: `room-${room}`, seq, user: "u", text: `message ${i}` });
    });
    const topic = streams.roomMessages.topic;
    const poisonKey = "school-f:room-0";
    const poison: BusRecord[] = [
      { key: poisonKey, value: "{not json" },
      // valid shape, but claims a seq that another message of the room holds: the database refuses it
      { key: poisonKey, value: JSON.stringify(newEvent("room.message.created", "school-f", { room: "room-0", seq: 1, user: "mallory", text: "dup seq" })) },
    ];
    const milestones: string[] = [];
    for (let i = 0; i < TOTAL; i += BATCH) {
      if (i === 3_000) {
        expect(await worker.stop("SIGKILL")).toBeNull();
        milestones.push("worker killed");
      }
      if (i === 4_000) await bus.publish(topic, poison);
      if (i === 5_000) {
        await kafka.restart();
        milestones.push("broker restarted");
      }
      if (i === 6_000) {
        worker = await startWorker();
        milestones.push("worker restarted");
      }
      await publishEvents(bus, "roomMessages", events.slice(i, i + BATCH));
    }
    expect(milestones).toEqual(["worker killed", "broker restarted", "worker restarted"]);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await eventually(
        async () => Number((await client.query("select count(*) as n from room_messages")).rows[0].n),
        (n) => n >= TOTAL,
        90_000,
      );
      const stats = (await client.query("select count(*) as n, count(distinct id) as ids from room_messages")).rows[0];
      expect({ rows: Number(stats.n), ids: Number(stats.ids) }).toEqual({ rows: TOTAL, ids: TOTAL });
      const perRoom = await client.query(
        "select room, count(*) as n, min(seq) as lo, max(seq) as hi, count(distinct seq) as seqs from room_messages group by room order by room",
      );
      expect(perRoom.rows).toHaveLength(ROOMS);
      for (const r of perRoom.rows) expect({ room: r.room, n: Number(r.n), lo: Number(r.lo), hi: Number(r.hi), seqs: Number(r.seqs) }).toEqual({ room: r.room, n: TOTAL / ROOMS, lo: 1, hi: TOTAL / ROOMS, seqs: TOTAL / ROOMS });
      // in order: no message was stored before a lower seq of its room
      const outOfOrder = await client.query(
        "select count(*) as n from (select seq, stored_at, lag(stored_at) over (partition by room order by seq) as prev from room_messages) x where stored_at < prev",
      );
      expect(Number(outOfOrder.rows[0].n)).toBe(0);
      expect(Number((await client.query("select count(*) as n from room_messages where user_id = 'mallory'")).rows[0].n)).toBe(0);
    } finally {
      await client.end();
    }

    const letters: DeadLetter[] = [];
    const sub = await bus.subscribe({
      group: "dead-letter-check",
      topic: DEAD_LETTER_TOPIC,
      handler: async (records) => {
        letters.push(...records.map((r) => JSON.parse(r.value) as DeadLetter));
      },
    });
    await eventually(async () => letters.length, (n) => n >= 2, 30_000);
    await sub.close();
    expect(letters.map((l) => [l.topic, l.key, l.value])).toEqual(expect.arrayContaining(poison.map((p) => [`${topic}`, p.key, p.value])));
    expect(letters.find((l) => l.value === "{not json")?.reason).toBe("not JSON");
    expect(letters.find((l) => l.value.includes("dup seq"))?.reason).toMatch(/refused by the database/);
  }, 240_000);
});
