import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomMessageCreated } from "../core/contracts/events";
import { newEvent, publishEvents, streams } from "../core/contracts/streams";
import { eventually } from "./support/clients";
import { describeReplication, readTopic, startReplicatedKafka, waitInSync, type ReplicatedKafka } from "./support/kafka-replicated";

const ROOMS = 20;
const BATCH = 200;
/** Batches in flight at once: many sends per partition wait for the brokers when one dies. */
const CONCURRENCY = 16;
/** Acked records between two steps of a round (before the kill, after it). */
const STEP = 2_000;
/** Broker kills in one run, each broker back and in sync before the next: KAFKA_CHAOS_ROUNDS, default 3. */
const ROUNDS = Number(process.env.KAFKA_CHAOS_ROUNDS ?? 3);
const TENANT = "school-k";

/**
 * A 3-broker KRaft cluster of its own (3 voters), topics at replication factor 3 with min.insync.replicas
 * 2, the bus's idempotent acks=all producer, and a worker process writing room messages to PostgreSQL.
 * A stream of keyed room messages runs while, ROUNDS times, one broker (2, then 3, then 1, …) is killed
 * with SIGKILL, then started again and waited for until every replica is back in sync: every acked
 * message is in the topic and stored in PostgreSQL, none twice.
 * The loss this guards against (acked records absent from the topic) came from the producer's sequence
 * numbers: see core/bus/partition-sender.ts. Not in `npm test` (about 3 minutes on a shared 2-core
 * machine, most of it starting the cluster): `npm run test:chaos`.
 */
describe("Kafka with replication (chaos, not in npm test): brokers killed mid-stream (3 brokers of its own, worker process, PostgreSQL)", () => {
  let cluster: ReplicatedKafka | undefined;

  beforeAll(async () => {
    cluster = await startReplicatedKafka("rf3-worker");
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop(process.env.KAFKA_CHAOS_KEEP_LOGS);
  });

  it("stores every acked message once when a broker dies mid-stream", async () => {
    const { kafka, bus, databaseUrl, worker } = cluster as ReplicatedKafka;
    const topic = bus.topicName(streams.roomMessages.topic);
    await bus.ensureTopic(streams.roomMessages.topic);
    // the guarantees the scenario relies on, as the brokers report them
    expect(await describeReplication(kafka.brokers, topic)).toEqual({ replicas: Array(6).fill(3), minInsyncReplicas: "2", uncleanLeaderElection: "false" });

    const seqs = new Map<number, number>();
    let made = 0;
    const nextBatch = (): RoomMessageCreated[] =>
      Array.from({ length: BATCH }, () => {
        const room = made++ % ROOMS;
        const seq = (seqs.get(room) ?? 0) + 1;
        seqs.set(room, seq);
        return newEvent("room.message.created", TENANT, { room: `room-${room}`, seq, user: "u", text: `message ${made}` });
      });
    const acked: string[] = [];
    const refused: string[] = [];
    let running = true;
    const started = performance.now();
    const lane = async (): Promise<void> => {
      while (running) {
        const batch = nextBatch();
        try {
          await publishEvents(bus, "roomMessages", batch);
          acked.push(...batch.map((e) => e.id));
        } catch (err) {
          const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
          refused.push(`${batch.length}: ${err instanceof Error ? err.message : String(err)}${cause}`);
        }
      }
    };
    // the acked rate over the 3 s before each kill (the issue asks for kills at ≥ 5,000 msgs/s)
    const samples: Array<{ at: number; n: number }> = [];
    const sampler = setInterval(() => samples.push({ at: performance.now(), n: acked.length }), 250);
    const rateBefore = (at: number): number => {
      const then = samples.filter((s) => s.at <= at - 3_000).at(-1) ?? samples[0] ?? { at: started, n: 0 };
      return Math.round(((acked.length - then.n) * 1000) / Math.max(1, at - then.at));
    };
    const ackedPast = (n: number): Promise<number> => eventually(async () => acked.length, (a) => a >= n, 120_000);
    const faults = (async () => {
      const kills: string[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const victim = [2, 3, 1][round % 3] as number;
          await ackedPast(acked.length + STEP);
          const at = acked.length;
          const rate = rateBefore(performance.now());
          await kafka.kill(victim);
          await ackedPast(acked.length + STEP);
          await kafka.restart(victim);
          await waitInSync(kafka.brokers, topic);
          kills.push(`broker ${victim} killed at ${at} acked (${rate}/s over the 3 s before)`);
        }
        await ackedPast(acked.length + STEP);
      } finally {
        running = false;
        clearInterval(sampler);
      }
      return kills;
    })();
    const [kills] = await Promise.all([faults, ...Array.from({ length: CONCURRENCY }, lane)]);
    const seconds = (performance.now() - started) / 1000;
    console.log(`kafka rf3: ${acked.length} acked in ${seconds.toFixed(1)} s (${Math.round(acked.length / seconds)}/s), ${kills.join(", ")}; ${refused.length} batches refused ${refused.slice(0, 2).join("; ")}`);
    expect(kills).toHaveLength(ROUNDS);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const storedIds = async (): Promise<Set<string>> => new Set((await client.query("select id from room_messages where tenant_id = $1", [TENANT])).rows.map((r: { id: string }) => r.id));
      // rows of refused batches may land too (Kafka may have taken them): wait for the acked ones themselves
      const stored = await eventually(storedIds, (ids) => acked.every((id) => ids.has(id)), 60_000).catch(() => storedIds());
      const stats = (await client.query("select count(*) as n, count(distinct id) as ids from room_messages where tenant_id = $1", [TENANT])).rows[0];
      const lost = acked.filter((id) => !stored.has(id));
      console.log(`kafka rf3: ${stored.size} rows, ${lost.length} acked lost, ${Number(stats.n) - Number(stats.ids)} duplicate rows`);
      // where acked records went: the whole topic, every partition read to its high watermark
      const inTopic = await readTopic(kafka.brokers, topic);
      const notInTopic = acked.filter((id) => !inTopic.ids.has(id));
      const twiceInTopic = [...inTopic.ids.values()].filter((n) => n > 1).length;
      console.log(`kafka rf3: topic read ${inTopic.complete ? "to its end" : "NOT to its end"}: ${inTopic.records} records, ${notInTopic.length} acked absent from it, ${twiceInTopic} ids there more than once`);
      if (lost.length > 0) {
        const errors = worker.output().split("\n").filter((l) => l.includes('"level":"error"') || l.includes('"level":"warn"'));
        console.log(`kafka rf3: ${lost.filter((id) => !inTopic.ids.has(id)).length} of the missing rows are not in the topic either (${lost.slice(0, 3).join(", ")}, …); worker: ${errors.length} warnings/errors, last: ${errors.slice(-3).join(" | ").slice(0, 1500)}`);
      }
      expect(inTopic.complete).toBe(true);
      expect(notInTopic).toEqual([]);
      expect(lost).toEqual([]);
      expect(Number(stats.n)).toBe(Number(stats.ids));
    } finally {
      await client.end();
    }
  }, 480_000);
});
